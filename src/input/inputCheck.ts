/**
 * Several inputs are scored into one output, so they must agree: one format, and (CSV/TSV with a header) one
 * header. Every input is opened and its head read before the first row is written, so a mismatch stops the run
 * (exit 2) with nothing written, not after the first inputs' rows went out. Files are closed again and reread
 * when their turn comes; standard input cannot be reread, so its head is kept and handed back then.
 */
import { RunError } from '../errors.js';
import type { Options } from '../options.js';
import { checkEncoding } from '../formats/detect.js';
import { sourceFormat, type Columns, type InputFormat } from './inputFormat.js';
import { openSource, type Source, type SourceRange } from './sources.js';
import { recordsOf } from './sourceReader.js';
import type { SchemaElement } from './parquetInput.js';

/** An input opened and its first piece read. */
export interface OpenedInput {
  source: Source;
  format: InputFormat;
  firstPiece: Buffer;
  /** The pieces after the first. */
  pieces: AsyncIterator<Buffer>;
}

/** What a later input is compared with. */
export interface InputShape {
  source: string;
  format: InputFormat;
  columns: Columns;
}

const EMPTY = Buffer.alloc(0);

/** Opens an input (or a shard's part of it), reads its first piece and tells its format (stopped at once by `signal`). */
export async function openInput(name: string, options: Options, signal?: AbortSignal, range: SourceRange | null = null): Promise<OpenedInput> {
  const source = await openSource(name, process.stdin, range);
  const stop = () => source.close();
  signal?.addEventListener('abort', stop);
  try {
    const pieces = source.bytes[Symbol.asyncIterator]();
    const firstPiece = await readFirstLine(pieces);
    checkEncoding(firstPiece, source.name);
    return { source, format: sourceFormat(name, firstPiece, options), firstPiece, pieces };
  } catch (err) {
    source.close();
    if (signal?.aborted) throw signal.reason;
    throw err;
  } finally {
    signal?.removeEventListener('abort', stop);
  }
}

/** Enough to tell a format by: a slow pipe may deliver `id` before the tab that makes it TSV. */
const SNIFF_BYTES = 1 << 16;

/** The first pieces, read until the first line is whole (or SNIFF_BYTES, or the end), as one buffer. */
async function readFirstLine(pieces: AsyncIterator<Buffer>): Promise<Buffer> {
  const got: Buffer[] = [];
  let size = 0;
  for (let r = await pieces.next(); !r.done; r = await pieces.next()) {
    got.push(r.value);
    size += r.value.length;
    if (size >= SNIFF_BYTES || hasWholeFirstLine(got.length === 1 ? r.value : Buffer.concat(got))) break;
  }
  return got.length === 1 ? got[0] : got.length === 0 ? EMPTY : Buffer.concat(got);
}

/** A line break (LF, or a CR-only line's CR) after the first byte that is not white space (nor a BOM). */
function hasWholeFirstLine(bytes: Buffer): boolean {
  let i = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x09 || bytes[i] === 0x0a || bytes[i] === 0x0d)) i++;
  return bytes.indexOf(0x0a, i) >= 0 || bytes.indexOf(0x0d, i) >= 0;
}

/** Throws when an input does not fit with the first: another format, or another header. */
export function checkSameShape(first: InputShape, source: string, format: InputFormat, columns: Columns | null): void {
  if (format.name !== first.format.name) {
    throw new RunError('INPUT', `${source} is ${format.name} but ${first.source} is ${first.format.name}; inputs scored together must share one format`);
  }
  if (columns?.header && first.columns.header && columns.names.join('\u0000') !== first.columns.names.join('\u0000')) {
    throw new RunError('INPUT', `the header of ${source} differs from the header of ${first.source}; inputs scored together must share one header`);
  }
  const theirs = first.columns.types;
  const ours = columns?.types;
  if (!theirs || !ours) return;
  const differs = ours.findIndex((t, i) => typeText(t) !== typeText(theirs[i]));
  if (differs >= 0) {
    const name = JSON.stringify(columns!.names[differs]);
    throw new RunError('INPUT', `column ${name} is ${typeText(ours[differs])} in ${source} but ${typeText(theirs[differs])} in ${first.source}; Parquet inputs scored together must share one schema`);
  }
}

/** A Parquet column's type as its schema gives it (physical, converted and logical), for comparing schemas. */
function typeText(t: SchemaElement | undefined): string {
  if (!t) return 'absent';
  if (t.num_children) return `a group of ${t.num_children}`;
  const logical = t.logical_type ? ` ${JSON.stringify(t.logical_type, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}` : '';
  return `${t.type ?? ''}${t.converted_type ? ` ${t.converted_type}` : ''}${logical}`;
}

/**
 * Checks every input against the first before anything is scored. Returns standard input opened, with the head
 * read from it, for the run to go on from (null when it is not among the inputs).
 */
export async function checkInputs(options: Options, signal?: AbortSignal): Promise<OpenedInput | null> {
  let first: InputShape | null = null; // the first input, for its format
  let headed: InputShape | null = null; // the first input with a header, for its header
  let stdin: OpenedInput | null = null;
  for (const name of options.inputs) {
    if (name === '-' && stdin !== null) continue; // read once: a second `-` finds it empty
    const input = await openInput(name, options, signal);
    const read: Buffer[] = [];
    try {
      const columns = await headerOf(input, options, read, signal);
      const shape = { source: input.source.name, format: input.format, columns: columns ?? { names: [], header: false } };
      if (first !== null) checkSameShape(first, shape.source, shape.format, null);
      if (headed !== null) checkSameShape(headed, shape.source, shape.format, columns);
      first ??= shape;
      if (columns?.header) headed ??= shape;
    } finally {
      if (name !== '-') input.source.close();
    }
    if (name === '-') stdin = { ...input, pieces: prepend(read, input.pieces) };
  }
  return stdin;
}

/**
 * The header of a CSV/TSV input with one, reading pieces (kept in `read`) until it is whole; a Parquet file's
 * columns and types from its footer (standard input is spooled only when its turn comes, and checked then); null
 * otherwise.
 */
async function headerOf(input: OpenedInput, options: Options, read: Buffer[], signal?: AbortSignal): Promise<Columns | null> {
  const { format } = input;
  if (format.name === 'parquet') {
    if (input.source.name === '-') return null;
    const { openParquet } = await import('./parquetInput.js');
    const pf = await openParquet(input.source.name, input.source.name);
    await pf.close();
    return pf.columns;
  }
  if ((format.name !== 'csv' && format.name !== 'tsv') || !options.header) return null;
  const bytes = () => [input.firstPiece, ...read];
  let records = recordsOf(bytes(), format, options.maxRecordBytes, false);
  while (records.length === 0) {
    if (signal?.aborted) throw signal.reason;
    const next = await input.pieces.next();
    if (next.done) {
      records = recordsOf(bytes(), format, options.maxRecordBytes);
      break;
    }
    read.push(next.value);
    records = recordsOf(bytes(), format, options.maxRecordBytes, false);
  }
  return records.length ? format.columns(records.slice(0, 1), input.source.name) : null;
}

async function* prepend(read: Buffer[], rest: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  yield* read;
  for (let r = await rest.next(); !r.done; r = await rest.next()) yield r.value;
}
