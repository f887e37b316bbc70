/**
 * One field → one typed value for a model input, or the reason it cannot be one.
 * Fields are strings (CSV) or JSON values (JSONL); both follow the same rules.
 */
import type { RecordError } from '../errors.js';
import type { MissingPolicy } from '../options.js';
import { isMissingToken, parseDecimal } from '../formats/numbers.js';
import type { ElementType, FeedData } from '../model/session.js';

/** Writes `value` into `target[offset]`; returns an error (and writes nothing useful) when it cannot. */
export type CellWriter = (value: unknown, column: string, target: FeedData, offset: number) => RecordError | undefined;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const INTEGER = /^\s*[+-]?\d+\s*$/;

export function cellWriter(type: ElementType, missing: MissingPolicy): CellWriter {
  switch (type) {
    case 'float32':
    case 'float64':
      return (value, column, target, offset) => {
        const n = toNumber(value, column, missing);
        if (typeof n !== 'number') return n;
        (target as Float32Array)[offset] = n;
        return undefined;
      };
    case 'int32':
      return (value, column, target, offset) => {
        const n = toInteger(value, column);
        if (typeof n !== 'bigint') return n;
        if (n < -2147483648n || n > 2147483647n) return invalid(column, `${show(value)} overflows int32`);
        (target as Int32Array)[offset] = Number(n);
        return undefined;
      };
    case 'int64':
      return (value, column, target, offset) => {
        const n = toInteger(value, column);
        if (typeof n !== 'bigint') return n;
        if (n < INT64_MIN || n > INT64_MAX) return invalid(column, `${show(value)} overflows int64`);
        (target as BigInt64Array)[offset] = n;
        return undefined;
      };
    case 'bool':
      return (value, column, target, offset) => {
        const b = toBool(value, column);
        if (typeof b !== 'boolean') return b;
        (target as Uint8Array)[offset] = b ? 1 : 0;
        return undefined;
      };
    case 'string':
      return (value, column, target, offset) => {
        if (value === null || value === undefined || value === '') {
          if (missing === 'error' || value === undefined) return missingValue(column, value);
          (target as string[])[offset] = '';
          return undefined;
        }
        if (typeof value === 'object') return invalid(column, `${show(value)} is not a string`);
        (target as string[])[offset] = String(value);
        return undefined;
      };
  }
}

function toNumber(value: unknown, column: string, missing: MissingPolicy): number | RecordError {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value); // a Parquet INT64
  if (typeof value === 'string') {
    const n = parseDecimal(value);
    if (n !== undefined) return n;
    if (isMissingToken(value)) return missing === 'nan' ? NaN : missingValue(column, value);
    return invalid(column, `${show(value)} is not a number`);
  }
  if (value === null || value === undefined) return missing === 'nan' && value === null ? NaN : missingValue(column, value);
  return invalid(column, `${show(value)} is not a number`);
}

function toInteger(value: unknown, column: string): bigint | RecordError {
  if (typeof value === 'bigint') return value; // a Parquet INT64, exact
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) return invalid(column, `${show(value)} is not an integer`);
    // JSON numbers beyond 2^53 have already lost digits; say so rather than feed a rounded value.
    if (!Number.isSafeInteger(value)) return invalid(column, `${show(value)} is too large to read exactly from a JSON number; quote it`);
    return BigInt(value);
  }
  if (typeof value === 'string') {
    if (INTEGER.test(value)) return BigInt(value.trim());
    if (isMissingToken(value)) return missingValue(column, value);
    return invalid(column, parseDecimal(value) !== undefined ? `${show(value)} is not an integer` : `${show(value)} is not a number`);
  }
  if (value === null || value === undefined) return missingValue(column, value);
  return invalid(column, `${show(value)} is not an integer`);
}

function toBool(value: unknown, column: string): boolean | RecordError {
  if (typeof value === 'boolean') return value;
  if (value === 0 || value === 1) return value === 1;
  if (typeof value === 'string') {
    const t = value.trim().toLowerCase();
    if (t === 'true' || t === '1') return true;
    if (t === 'false' || t === '0') return false;
    if (isMissingToken(value)) return missingValue(column, value);
  }
  if (value === null || value === undefined) return missingValue(column, value);
  return invalid(column, `${show(value)} is not a boolean (true/false/1/0)`);
}

function missingValue(column: string, value: unknown): RecordError {
  const what = value === undefined ? 'is absent' : value === null ? 'is null' : value === '' || String(value).trim() === '' ? 'is empty' : `is ${show(value)}`;
  return { code: 'MISSING_VALUE', message: `missing value: column ${JSON.stringify(column)} ${what}` };
}

function invalid(column: string, reason: string): RecordError {
  return { code: 'INVALID_VALUE', message: `column ${JSON.stringify(column)}: ${reason}` };
}

function show(value: unknown): string {
  const text = typeof value === 'string' ? value : typeof value === 'bigint' ? value.toString() : value instanceof Date ? value.toISOString() : JSON.stringify(value) ?? String(value);
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
}

export function allocate(type: ElementType, n: number): FeedData {
  switch (type) {
    case 'float32': return new Float32Array(n);
    case 'float64': return new Float64Array(n);
    case 'int32': return new Int32Array(n);
    case 'int64': return new BigInt64Array(n);
    case 'bool': return new Uint8Array(n);
    case 'string': return new Array<string>(n).fill('');
  }
}
