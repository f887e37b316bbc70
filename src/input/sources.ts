/**
 * Input sources: a file or standard input, as text. Gzip is recognised by its magic bytes wherever it comes
 * from. Invalid UTF-8 becomes U+FFFD (the record then fails its checks instead of stopping the run).
 */
import { createReadStream, fstatSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable, pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { RunError, oneLine, readReason } from '../errors.js';
import { isS3Url, objectSize, readObject } from '../storage/s3.js';
import { sizeFromEnv } from './testSizes.js';

/** Tests may cut what is read into pieces of at most this many bytes (BATCH_SCORE_READ_BYTES, see testSizes.ts). */
const PIECE_BYTES = sizeFromEnv('BATCH_SCORE_READ_BYTES', Infinity);

export interface Source {
  /** As named in the sidecar: the path given, or `-` for standard input. */
  name: string;
  /** Size in bytes when known (files), for the progress bar. */
  size: number | null;
  /** Bytes read so far (compressed bytes for gzip). */
  bytesRead: number;
  /** The bytes (inflated when gzip), piece by piece; a read error becomes an INPUT RunError. */
  bytes: AsyncIterable<Buffer>;
  /** The decoded text, piece by piece (read from `bytes`: use one or the other). */
  text: AsyncIterable<string>;
  /** Stops reading (when the run ends early), so that an open stdin does not keep the process alive. */
  close(): void;
  /** The part of the file read (a shard's); null: all of it. Offsets in the bytes read map to the file's by `fileOffset`. */
  range: SourceRange | null;
}

/**
 * A shard's part of a file, or what a resumed run has left to read: its head (bytes [0, head): the header line,
 * which names the columns) then the bytes [start, end). `head` is 0 when the part starts at the file's start or
 * needs no head.
 */
export interface SourceRange {
  head: number;
  start: number;
  end: number;
  /**
   * The offsets count the inflated bytes of a gzip file (a resumed run's): the file is read and inflated from its
   * start, and the bytes outside the ranges are dropped, since a deflate stream cannot be entered midway.
   */
  inflated?: boolean;
}

/** Where a byte of a source's stream lies in the file it was read from (they differ only in a shard's part). */
export function fileOffset(source: { range: SourceRange | null }, at: number): number {
  const r = source.range;
  return r === null || at < r.head ? at : at - r.head + r.start;
}

/** Opens a source; nothing is read until its text is iterated (so a signal can stop a read that waits). */
export async function openSource(name: string, stdin: NodeJS.ReadableStream = process.stdin, range: SourceRange | null = null): Promise<Source> {
  let raw: NodeJS.ReadableStream;
  let size: number | null = null;
  if (name === '-') {
    if (stdin === process.stdin) checkStdin();
    raw = stdin;
  } else {
    const byRange = range !== null && !range.inflated;
    size = byRange ? range.head + range.end - range.start : await inputSize(name);
    raw = byRange ? Readable.from(concatStreams(name, [[0, range.head], [range.start, range.end]])) : await openBytes(name);
  }
  const source: Source = {
    name,
    size,
    bytesRead: 0,
    bytes: undefined as unknown as AsyncIterable<Buffer>,
    text: undefined as unknown as AsyncIterable<string>,
    close: () => (raw as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.(),
    range,
  };
  const counted = async function* (): AsyncGenerator<Buffer> {
    for await (const buf of raw as AsyncIterable<Buffer>) {
      for (let at = 0; at < buf.length; at += PIECE_BYTES) {
        const piece = buf.length <= PIECE_BYTES ? buf : buf.subarray(at, at + PIECE_BYTES);
        source.bytesRead += piece.length;
        yield piece;
      }
    }
  };
  const inflated = gunzipIfNeeded(counted());
  source.bytes = readErrors(name, range?.inflated ? keepRanges(inflated, [[0, range.head], [range.start, range.end]]) : inflated);
  source.text = decodeUtf8(source.bytes);
  return source;
}

/** The size of a file or object in bytes; a missing one is an INPUT error. */
export async function inputSize(name: string): Promise<number> {
  if (isS3Url(name)) return objectSize(name);
  try {
    const st = await stat(name);
    if (st.isDirectory()) throw new RunError('INPUT', `cannot read input ${name}: it is a directory`);
    return st.size;
  } catch (err) {
    if (err instanceof RunError) throw err;
    throw new RunError('INPUT', `cannot read input ${name}: ${readReason(err)}`, { cause: err });
  }
}

/** A file's or an object's bytes [start, end) (to its end by default), as a stream. */
export async function openBytes(name: string, start = 0, end?: number): Promise<NodeJS.ReadableStream> {
  if (isS3Url(name)) return readObject(name, start, end);
  // 1 MiB reads: with the default 64 KiB, the main thread spent ~0.75 s of a 1.5 s run waiting on 2,000 reads.
  if (end !== undefined && end <= start) return Readable.from([]);
  return createReadStream(name, { highWaterMark: 1 << 20, start, end: end === undefined ? undefined : end - 1 });
}

/** The byte ranges of a file one after the other (a shard's head, then its part). */
async function* concatStreams(name: string, ranges: Array<[number, number]>): AsyncGenerator<Buffer> {
  for (const [start, end] of ranges) if (end > start) yield* (await openBytes(name, start, end)) as AsyncIterable<Buffer>;
}

/**
 * Standard input redirected from a directory (`< dir`) reads as empty in Node instead of failing (EISDIR is not
 * reported), which would make a run of 0 records look like success.
 */
function checkStdin(): void {
  let st;
  try {
    st = fstatSync(0);
  } catch (err) {
    throw new RunError('INPUT', `cannot read standard input: ${oneLine(err)}`, { cause: err });
  }
  if (st.isDirectory()) throw new RunError('INPUT', 'cannot read standard input: it is a directory');
}

/** Recognises gzip by its magic bytes in the first buffer and, if so, inflates the whole stream. */
async function* gunzipIfNeeded(bytes: AsyncGenerator<Buffer>): AsyncGenerator<Buffer> {
  const first = await bytes.next();
  if (first.done) return;
  const head = first.value;
  const gzip = head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
  const all = (async function* () {
    yield head;
    yield* bytes;
  })();
  if (!gzip) return yield* all;
  // Inflated in 256 KiB pieces (zlib's default is 16 KiB: many small pieces for the block cutter to gather).
  const inflate = createGunzip({ chunkSize: 1 << 18 });
  // pipeline, not pipe: a read error (or the premature close of a source closed while a read was under way, as
  // when an input is opened only to read its header) reaches the inflated stream's reader, if it still has one,
  // instead of being an 'error' event nobody listens to, which ended the process.
  pipeline(Readable.from(all), inflate, () => undefined);
  yield* inflate as AsyncIterable<Buffer>;
}

async function* readErrors(name: string, bytes: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  try {
    yield* bytes;
  } catch (err) {
    throw new RunError('INPUT', `cannot read input ${name}: ${readReason(err)}`, { cause: err });
  }
}

/** The bytes of a stream within the ranges given (ascending, not overlapping), the rest dropped. */
async function* keepRanges(bytes: AsyncIterable<Buffer>, ranges: Array<[number, number]>): AsyncGenerator<Buffer> {
  let at = 0;
  for await (const buf of bytes) {
    for (const [start, end] of ranges) {
      const from = Math.max(start - at, 0);
      const to = Math.min(end - at, buf.length);
      if (to > from) yield buf.subarray(from, to);
    }
    at += buf.length;
  }
}

/** UTF-8 text of a byte stream; the BOM is kept (the record splitter drops it where it belongs). */
async function* decodeUtf8(bytes: AsyncIterable<Buffer>): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  for await (const buf of bytes) {
    const text = decoder.decode(buf, { stream: true });
    if (text) yield text;
  }
  const rest = decoder.decode();
  if (rest) yield rest;
}
