/**
 * The unit of work on bytes: a block of whole records, cut by the main thread without looking inside (see
 * blockCutter.ts), is split into records here — in a worker, in parallel — and scored in batches of --batch-size
 * through processBatch. Records end where the format's record bounds say (line breaks; for CSV, outside quoted
 * fields), with the record splitter's rules: a CR before the newline is dropped, blank lines are not records, a
 * record longer than --max-record-bytes fails with its beginning as a preview and reading resumes at the first line
 * break after the limit, an unterminated quote runs to the end of input. Row and line numbers are counted from the
 * block's start; the runner, which writes blocks in order, adds what came before.
 */
import type { FeedData } from '../model/session.js';
import { isBlank, previewOf, type RawRecord } from '../input/recordSplitter.js';
import { recordBounds, type RecordBounds } from '../input/recordBounds.js';
import { processBatch, type ChunkContext, type ChunkResult } from './processChunk.js';
import type { FormattedBlock, FormattedChunk } from './formatChunk.js';
import { UnitMonitor } from '../monitor/unitMonitor.js';

export interface Block {
  source: string;
  bytes: Uint8Array;
}

const NL = 10;
const CR = 13;
const QUOTE = 0x22;
/** Record flags. */
const TOO_LARGE = 1;
const UNTERMINATED = 2;

/** Where one record lies in the block. */
interface Found {
  start: number;
  /** The end of its fields (a CR before the line break left out). */
  end: number;
  /** The end of its text as the splitter counts it (the CR included; an open quote's trailing line breaks not). */
  textEnd: number;
  /** Where the next record starts. */
  next: number;
  /** Lines it spans. */
  lines: number;
  tooLarge: boolean;
  unterminated: boolean;
}

/**
 * Scores the block batch by batch and formats each batch as soon as it is scored (so its rows die young, which
 * the worker profiles showed as a fifth of their time spent in GC when a whole block's rows were kept).
 */
export async function processBlock(block: Block, ctx: ChunkContext, format: (batch: ChunkResult) => FormattedChunk): Promise<FormattedBlock> {
  let bytes = Buffer.from(block.bytes.buffer, block.bytes.byteOffset, block.bytes.byteLength);
  const inputEnd = bytes.length;
  // Every record ends with a line break (the number parser reads up to one without bounds checks); adding one to
  // the last record of an input changes nothing, as for the record splitter.
  if (bytes.length > 0 && bytes[bytes.length - 1] !== NL) bytes = Buffer.concat([bytes, Buffer.from('\n')]);
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  const fill = ctx.blockFill;
  const limit = ctx.maxRecordLength;
  const size = ctx.batchSize;
  // Without a byte path every record is read as text: the block is decoded once, and each record is a slice of it
  // (a line break is one byte and one character, and ends any malformed UTF-8 before it, so lines correspond).
  const whole = fill === null ? decoder.decode(bytes) : null;
  let textPos = 0;
  // Per record, in parallel arrays (an object per record measurably slowed the quote-free path).
  const starts: number[] = [];
  const ends: number[] = [];
  const textEnds: number[] = [];
  const nexts: number[] = [];
  const flags: number[] = [];
  const texts: (string | undefined)[] = [];
  const rowOf: number[] = [];
  const lineOf: number[] = [];
  const parts: FormattedChunk[] = [];
  // One partial profile for the whole block (its batches add to it), sent back once.
  const unit = ctx.monitor ? new UnitMonitor(ctx.monitor) : undefined;
  let records = 0;
  let lines = 0;

  const record = (i: number): RawRecord => {
    const text = texts[i] ?? decoder.decode(bytes.subarray(starts[i], textEnds[i]));
    const raw: RawRecord = { row: rowOf[i], line: lineOf[i], text, offset: starts[i] };
    if (flags[i] & TOO_LARGE || text.length > limit) {
      // An oversized record's preview is the start of the input from the record on, as the splitter shows it.
      raw.text = previewOf(flags[i] & TOO_LARGE ? decoder.decode(bytes.subarray(starts[i], Math.min(nexts[i], inputEnd))) : text, limit);
      raw.tooLarge = limit;
    } else if (flags[i] & UNTERMINATED) {
      raw.unterminatedQuote = true;
    } else if (ends[i] < textEnds[i]) {
      raw.text = text.slice(0, -1); // the CR before the line break
    }
    return raw;
  };
  const flush = async (): Promise<void> => {
    if (starts.length === 0) return;
    const result = await processBatch(
      {
        source: block.source,
        count: starts.length,
        fastFill: (i: number, slot: number, data: FeedData[]) =>
          fill && flags[i] === 0 && ends[i] - starts[i] < limit ? fill(bytes, starts[i], ends[i], slot, data) : null,
        record,
      },
      ctx,
      unit,
    );
    parts.push(format(result));
    starts.length = ends.length = textEnds.length = nexts.length = flags.length = texts.length = rowOf.length = lineOf.length = 0;
  };

  // A block without a quote (most CSV) is cut at every line break, with no quote state to keep.
  let bounds = bytes.indexOf(QUOTE) < 0 ? recordBounds(null) : ctx.recordBounds();
  const f: Found = { start: 0, end: 0, textEnd: 0, next: 0, lines: 1, tooLarge: false, unterminated: false };
  for (let pos = 0; pos < bytes.length; ) {
    nextRecord(bytes, pos, bounds, f);
    // Only a record spanning lines (or an open quote, whose trailing line breaks the splitter counts) can be cut
    // inside itself; bytes ≥ characters, so most need no decoding to tell.
    if ((f.lines > 1 || f.unterminated) && f.next - f.start > limit) {
      const text = decoder.decode(bytes.subarray(f.start, f.unterminated ? inputEnd : f.textEnd));
      if (cutOversized(bytes, f, text, limit)) bounds = ctx.recordBounds();
    }
    let text: string | undefined;
    if (whole !== null) {
      const after = textIndexAfter(whole, textPos, f.lines);
      // Up to the record's line break, less an open quote's trailing line breaks (one character each).
      text = whole.slice(textPos, after - 1 - (f.next - 1 - f.textEnd));
      textPos = after;
    }
    const line = lines + 1;
    lines += f.lines;
    pos = f.next;
    if (!f.tooLarge && isBlankRecord(bytes, f, text, decoder, limit)) continue;
    records++;
    starts.push(f.start);
    ends.push(f.end);
    textEnds.push(f.textEnd);
    nexts.push(f.next);
    flags.push((f.tooLarge ? TOO_LARGE : 0) | (f.unterminated ? UNTERMINATED : 0));
    texts.push(text);
    rowOf.push(records);
    lineOf.push(line);
    if (starts.length >= size) await flush();
  }
  await flush();
  return unit ? { parts, lines, monitor: unit.partial() } : { parts, lines };
}

/** The record starting at `pos` (into `f`): to the line break that ends it, or to the block's end (an open quote). */
function nextRecord(bytes: Buffer, pos: number, bounds: RecordBounds, f: Found): void {
  let nl = bounds.next(bytes, pos, bytes.length);
  let inner = bounds.takeInnerLines();
  let unterminated = false;
  if (nl < 0) {
    // An unterminated quote runs to the end of input; its trailing line breaks are not part of the record.
    nl = bytes.length - 1;
    inner--;
    unterminated = true;
  }
  let textEnd = nl;
  if (unterminated) while (textEnd > pos && (bytes[textEnd - 1] === NL || bytes[textEnd - 1] === CR)) textEnd--;
  f.start = pos;
  f.end = !unterminated && textEnd > pos && bytes[textEnd - 1] === CR ? textEnd - 1 : textEnd;
  f.textEnd = textEnd;
  f.next = nl + 1;
  f.lines = inner + 1;
  f.tooLarge = false;
  f.unterminated = unterminated;
}

/**
 * A record spanning lines and longer than the limit (in characters, as the record splitter counts) fails with its
 * beginning, and reading resumes after the first line break at or past the limit — inside the record when it has
 * one there, exactly where the splitter cuts it. Returns whether the record was cut inside (the quote state then
 * starts afresh).
 */
function cutOversized(bytes: Buffer, f: Found, text: string, limit: number): boolean {
  if (text.length <= limit) return false;
  f.tooLarge = true;
  f.unterminated = false;
  const cut = text.indexOf('\n', limit);
  if (cut < 0) return false; // the first line break past the limit is the record's own
  let breaks = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i <= cut; i = text.indexOf('\n', i + 1)) breaks++;
  let nl = f.start - 1;
  for (let k = 0; k < breaks; k++) nl = bytes.indexOf(NL, nl + 1);
  f.end = f.textEnd = nl;
  f.next = nl + 1;
  f.lines = breaks;
  return true;
}

/** The index just past the `lines`-th line break from `from` in the block's text. */
function textIndexAfter(whole: string, from: number, lines: number): number {
  let nl = from - 1;
  for (let k = 0; k < lines; k++) nl = whole.indexOf('\n', nl + 1);
  return nl + 1;
}

/** A record that is only whitespace is not a record (looked at as text only when it starts with some). */
function isBlankRecord(bytes: Buffer, f: Found, text: string | undefined, decoder: TextDecoder, limit: number): boolean {
  if (f.end === f.start) return true;
  const first = bytes[f.start];
  if (first !== 32 && first !== 9 && first !== CR) return false;
  const raw = text ?? decoder.decode(bytes.subarray(f.start, f.textEnd));
  return raw.length <= limit && isBlank(raw);
}
