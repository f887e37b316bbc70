/**
 * Values JSON cannot hold as they are, tagged so that they come back exactly: a bigint (a Parquet footer's INT64
 * statistics, row counts and offsets), bytes, and numbers JSON has no text for (NaN, ±Infinity, -0, which a float
 * column's statistics may be). Used by a --resume checkpoint to keep a Parquet output's footer state and a run's
 * profile and agreement so far.
 */

export function toJsonValue(v: unknown): unknown {
  if (typeof v === 'bigint') return { $bigint: v.toString() };
  if (typeof v === 'number') return Number.isFinite(v) && !Object.is(v, -0) ? v : { $number: Object.is(v, -0) ? '-0' : String(v) };
  if (v instanceof Uint8Array) return { $bytes: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') };
  // Other typed arrays (a profile's bucket counts) as plain arrays: the reader knows which fields to make typed again.
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return Array.from(v as unknown as ArrayLike<unknown>, toJsonValue);
  if (Array.isArray(v)) return v.map(toJsonValue);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = toJsonValue(x);
    return out;
  }
  return v;
}

export function fromJsonValue(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(fromJsonValue);
  if (v === null || typeof v !== 'object') return v;
  const o = v as Record<string, unknown>;
  if (typeof o.$bigint === 'string') return BigInt(o.$bigint);
  if (typeof o.$number === 'string') return o.$number === '-0' ? -0 : Number(o.$number);
  if (typeof o.$bytes === 'string') return new Uint8Array(Buffer.from(o.$bytes, 'base64'));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(o)) out[k] = fromJsonValue(x);
  return out;
}
