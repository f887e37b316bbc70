/**
 * `--shard K/N`: which bytes of the inputs this run scores. All inputs, in the order given, are one sequence of
 * bytes cut into N contiguous ranges balanced by bytes; shard K scores the records that START in its K-th range
 * (the shard before finishes a record that crosses the boundary). Each boundary is moved to a record start by a
 * function of (file, offset) alone, so the shard ending there and the shard starting there agree without talking:
 * - JSONL: the first line start at or after the offset (a JSON string cannot hold a raw line break);
 * - CSV/TSV: the first line break outside quoted fields, found by scanning from the file's start with the same
 *   quote-aware scan the block cutter uses (csvScan.ts), so a shard never starts inside a quoted field. Where that
 *   scan could disagree with how the reader cuts records — after a lone CR (classic Mac line ends), or after a
 *   record spanning lines that is longer than --max-record-bytes (the reader resumes inside it) — the boundary
 *   moves to the file's end instead: less balanced, never wrong;
 * - whatever cannot be cut (gzip, a JSON document, Parquet), and every file with --output-dir: the whole file goes
 *   to the shard in whose range its first byte falls.
 * A shard that starts inside a file reads the file's head first (the CSV header, or JSONL's first record) for the
 * column names, and scores only its own part.
 */
import { RunError } from '../errors.js';
import { csvRecordEnd, lastRecordEnd, newScan } from './csvScan.js';
import { recordBounds } from './recordBounds.js';
import { isBlank } from './recordRules.js';
import type { Options, Shard } from '../options.js';
import { inputSize, openBytes, openSource, type SourceRange } from './sources.js';
import { openInput } from './inputCheck.js';
import { isS3Url, listObjects } from '../storage/s3.js';


/** How a file may be cut. */
export type Cutting = { kind: 'whole' } | { kind: 'lines' } | { kind: 'csv'; delimiter: string };

export interface ShardInput {
  name: string;
  size: number;
  cutting: Cutting;
  /** Whether a part starting inside the file must read the file's first record first (CSV header, JSONL keys). */
  needsHead: boolean;
}

/** One input as a shard reads it: all of it (range null), or a part. */
export interface InputPart {
  name: string;
  range: SourceRange | null;
}

/** `K/N` with 0 ≤ K < N. */
export function parseShard(value: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(value);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || !Number.isSafeInteger(count) || count < 1 || index >= count) {
    throw new RunError('USAGE', `--shard must be K/N with 0 ≤ K < N (0-based, e.g. 0/4), got ${JSON.stringify(value)}`);
  }
  return { index, count };
}

/** Where range k starts in a sequence of `total` bytes cut into `count` ranges (exact: no float rounding). */
export function rangeStart(total: number, count: number, k: number): number {
  return Number((BigInt(total) * BigInt(k)) / BigInt(count));
}

/** The parts of the inputs that shard `shard` scores, in order (inputs it has nothing of are left out). */
export async function planShard(inputs: ShardInput[], shard: Shard, maxRecordBytes: number): Promise<InputPart[]> {
  const total = inputs.reduce((a, i) => a + i.size, 0);
  const from = rangeStart(total, shard.count, shard.index);
  const to = rangeStart(total, shard.count, shard.index + 1);
  const parts: InputPart[] = [];
  let at = 0; // bytes of the inputs before this one
  for (const input of inputs) {
    const [start, end] = await cutPoints(input, [from - at, to - at], maxRecordBytes);
    at += input.size;
    if (end <= start) continue;
    const head = start > 0 && input.needsHead ? await headEnd(input.name, delimiterOf(input.cutting)) : 0;
    parts.push({ name: input.name, range: start === 0 && end === input.size ? null : { head: head > start ? 0 : head, start, end } });
  }
  return parts.length > 0 ? parts : emptyPart(inputs, from);
}

/**
 * A shard with no records still writes what an empty part of the inputs gives (a CSV header): it reads the head of
 * a file that can be cut, and nothing after it.
 */
async function emptyPart(inputs: ShardInput[], from: number): Promise<InputPart[]> {
  let at = 0;
  const within = inputs.find((i) => (at += i.size) > from) ?? inputs[inputs.length - 1];
  if (within === undefined || within.cutting.kind === 'whole') return [];
  const head = within.needsHead ? await headEnd(within.name, delimiterOf(within.cutting)) : 0;
  return [{ name: within.name, range: { head, start: within.size, end: within.size } }];
}

/** Each offset (relative to the file, any value) moved to the record start the rules above give. */
async function cutPoints(input: ShardInput, offsets: number[], maxRecordBytes: number): Promise<number[]> {
  const clamped = offsets.map((o) => Math.min(Math.max(o, 0), input.size));
  const inside = clamped.filter((o) => o > 0 && o < input.size);
  if (inside.length === 0) return clamped;
  const { cutting } = input;
  if (cutting.kind === 'whole') return clamped.map((o) => (o === 0 ? 0 : input.size));
  const found = cutting.kind === 'lines' ? await lineStarts(input, inside) : await csvRecordStarts(input, cutting.delimiter, inside, maxRecordBytes);
  return clamped.map((o) => (o > 0 && o < input.size ? found.get(o)! : o));
}

/** JSONL: the first line start at or after each offset (the byte before it is a line feed). */
async function lineStarts(input: ShardInput, offsets: number[]): Promise<Map<number, number>> {
  const found = new Map<number, number>();
  for (const o of offsets) {
    let pos = o - 1;
    let start = input.size;
    for await (const piece of (await openBytes(input.name, o - 1)) as AsyncIterable<Buffer>) {
      const nl = piece.indexOf(10);
      if (nl >= 0) {
        start = pos + nl + 1;
        break;
      }
      pos += piece.length;
    }
    found.set(o, start);
  }
  return found;
}

const LF = 10;
const CR = 13;

/**
 * CSV: scans the file from its start, the quote state carried through, and for each offset finds the first line
 * break outside quotes at or after offset − 1 (so the record after it starts at or after the offset). The scan
 * goes in windows of at most --max-record-bytes, so a record longer than that ends in a later window than it
 * starts in, as the first record end found there, which is where it is measured.
 */
async function csvRecordStarts(input: ShardInput, delimiter: string, offsets: number[], limit: number): Promise<Map<number, number>> {
  const delim = delimiter.charCodeAt(0);
  const scan = newScan();
  const pending = [...offsets].sort((a, b) => a - b);
  const found = new Map<number, number>();
  const windowBytes = Math.max(1, Math.min(limit, 1 << 20));
  let lastEnd = 0; // just past the last record end found
  let afterCr = false;
  /** A record end found at `end`: the pending offsets it answers (all of them once the reader may differ). */
  const recordEnd = (end: number, unsafe: boolean): void => {
    while (pending.length && (unsafe || pending[0] <= end)) found.set(pending.shift()!, unsafe ? input.size : end);
    lastEnd = end;
  };
  // Past the last offset, a record end comes within --max-record-bytes, or the record is too long to cut after.
  const readTo = Math.min(input.size, pending[pending.length - 1] + limit + windowBytes);
  let pieceAt = 0;
  for await (const piece of (await openBytes(input.name, 0, readTo)) as AsyncIterable<Buffer>) {
    for (let w = 0; w < piece.length && pending.length; w += windowBytes) {
      const bytes = piece.subarray(w, w + windowBytes);
      const base = pieceAt + w;
      if (hasLoneCr(bytes, afterCr)) recordEnd(input.size, true);
      afterCr = bytes[bytes.length - 1] === CR;
      let i = 0;
      const first = csvRecordEnd(bytes, 0, bytes.length, delim, scan);
      if (first >= 0) {
        // The record that ends first may have started windows ago: the only one that can be too long.
        recordEnd(base + first + 1, base + first + 1 - lastEnd > limit);
        i = first + 1;
      }
      while (first >= 0 && pending.length && pending[0] - 1 < base + bytes.length) {
        const target = pending[0] - 1 - base;
        if (target > i) {
          const last = lastRecordEnd(bytes, i, target, delim, scan);
          if (last > i) lastEnd = base + last;
          i = target;
        }
        const nl = csvRecordEnd(bytes, i, bytes.length, delim, scan);
        if (nl < 0) break;
        recordEnd(base + nl + 1, false);
        i = nl + 1;
      }
      if (first >= 0 && i < bytes.length) {
        const last = lastRecordEnd(bytes, i, bytes.length, delim, scan);
        if (last > i) lastEnd = base + last;
      }
    }
    pieceAt += piece.length;
    if (pending.length === 0) break;
  }
  recordEnd(input.size, true); // no record end after these: the rest of the file is one record
  return found;
}

/** A CR not followed by LF (a lone CR ends a record for the reader, not for the scan). */
function hasLoneCr(bytes: Uint8Array, afterCr: boolean): boolean {
  if (afterCr && bytes.length > 0 && bytes[0] !== LF) return true;
  for (let cr = bytes.indexOf(CR); cr >= 0; cr = bytes.indexOf(CR, cr + 1)) {
    if (cr + 1 < bytes.length && bytes[cr + 1] !== LF) return true;
  }
  return false;
}

function delimiterOf(cutting: Cutting): string | null {
  return cutting.kind === 'csv' ? cutting.delimiter : null;
}

/**
 * Just past the file's first record that is not blank (its CSV header, or JSONL's first record), in its bytes as
 * read (inflated, for gzip); `delimiter`: CSV's (quoted fields may hold line breaks), null for JSONL.
 */
export async function headEnd(name: string, delimiter: string | null): Promise<number> {
  const bounds = recordBounds(delimiter);
  let pos = 0;
  let record: Buffer[] = [];
  const source = await openSource(name);
  try {
    for await (const piece of source.bytes) {
      for (let i = 0; i < piece.length; ) {
        const nl = bounds.next(piece, i, piece.length);
        record.push(piece.subarray(i, nl < 0 ? piece.length : nl));
        if (nl < 0) break;
        bounds.takeInnerLines();
        if (!isBlank(Buffer.concat(record).toString('utf8').replace(/^\uFEFF/, ''))) return pos + nl + 1;
        record = [];
        i = nl + 1;
      }
      pos += piece.length;
    }
    return pos;
  } finally {
    source.close();
  }
}

/** Sizes and how each input may be cut, for planShard. Standard input cannot be sharded. */
export async function shardInputs(names: string[], options: Options, byFile: boolean): Promise<ShardInput[]> {
  const inputs: ShardInput[] = [];
  for (const name of names) {
    if (name === '-') throw new RunError('USAGE', '--shard needs input files or objects: standard input cannot be split between shards');
    const size = await inputSize(name);
    const opened = await openInput(name, options);
    opened.source.close();
    const format = opened.format.name;
    const whole = byFile || (await isGzip(name)) || format === 'json' || format === 'parquet';
    const delimiter = options.delimiter ?? (format === 'tsv' ? '\t' : ',');
    const cutting: Cutting = whole ? { kind: 'whole' } : format === 'jsonl' ? { kind: 'lines' } : { kind: 'csv', delimiter };
    inputs.push({ name, size, cutting, needsHead: format === 'jsonl' || options.header });
  }
  return inputs;
}

export async function isGzip(name: string): Promise<boolean> {
  const magic: Buffer[] = [];
  for await (const piece of (await openBytes(name, 0, 2)) as AsyncIterable<Buffer>) magic.push(piece);
  const head = Buffer.concat(magic);
  return head.length === 2 && head[0] === 0x1f && head[1] === 0x8b;
}

/**
 * The run's inputs as read: `s3://bucket/prefix/` expanded to the objects under it (in key order), and with
 * --shard, this shard's parts of them (null: every input whole).
 */
export async function resolveInputs(options: Options): Promise<{ inputs: string[]; parts: InputPart[] | null }> {
  const inputs: string[] = [];
  for (const name of options.inputs) {
    if (!isS3Url(name) || !name.endsWith('/')) {
      inputs.push(name);
      continue;
    }
    // An output under the prefix would be read back as an input by the next run over it.
    const inside = [options.output, options.errorsPath, options.summaryPath, options.outputDir].find((o) => o?.startsWith(name));
    if (inside) throw new RunError('USAGE', `${inside} is under the input prefix ${name}: a later run over the prefix would read it as input; write outputs elsewhere`);
    inputs.push(...(await listObjects(name)));
  }
  if (options.shard === null) return { inputs, parts: null };
  const described = await shardInputs(inputs, { ...options, inputs }, options.outputDir !== null);
  return { inputs, parts: await planShard(described, options.shard, options.maxRecordBytes) };
}
