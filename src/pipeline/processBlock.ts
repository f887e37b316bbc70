/**
 * The unit of work on bytes: a block of whole lines, cut by the main thread without looking inside (see
 * blockCutter.ts), is split into records here — in a worker, in parallel — and scored in batches of --batch-size
 * through processBatch. Records are lines (the cutter only makes blocks of quote-free CSV or of JSONL), with the
 * record splitter's rules: a CR before the newline is dropped, blank lines are not records, a line longer than
 * --max-record-bytes fails with its beginning as a preview. Row and line numbers are counted from the block's
 * start; the runner, which writes blocks in order, adds what came before.
 */
import type { FeedData } from '../model/session.js';
import { isBlank, previewOf, type RawRecord } from './recordSplitter.js';
import { processBatch, type ChunkContext, type ChunkResult } from './processChunk.js';
import type { FormattedBlock, FormattedChunk } from './formatChunk.js';

export interface Block {
  source: string;
  bytes: Uint8Array;
}

const NL = 10;
const CR = 13;

/**
 * Scores the block batch by batch and formats each batch as soon as it is scored (so its rows die young, which
 * the worker profiles showed as a fifth of their time spent in GC when a whole block's rows were kept).
 */
export async function processBlock(block: Block, ctx: ChunkContext, format: (batch: ChunkResult) => FormattedChunk): Promise<FormattedBlock> {
  let bytes = Buffer.from(block.bytes.buffer, block.bytes.byteOffset, block.bytes.byteLength);
  // Every line ends with a line break (the number parser reads up to one without bounds checks); adding one to
  // the last line of an input changes nothing, as for the record splitter.
  if (bytes.length > 0 && bytes[bytes.length - 1] !== NL) bytes = Buffer.concat([bytes, Buffer.from('\n')]);
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  const fill = ctx.blockFill;
  const limit = ctx.maxRecordLength;
  const size = ctx.batchSize;
  // Without a byte path every record is read as text: the block is decoded once, and each line is a slice of it
  // (a line break is one byte and one character, and ends any malformed UTF-8 before it, so lines correspond).
  const whole = fill === null ? decoder.decode(bytes) : null;
  let textPos = 0;
  const starts: number[] = [];
  const ends: number[] = [];
  const textStarts: number[] = [];
  const textEnds: number[] = [];
  const rowOf: number[] = [];
  const lineOf: number[] = [];
  const parts: FormattedChunk[] = [];
  let records = 0;
  let lines = 0;

  const record = (i: number): RawRecord => {
    const row = rowOf[i];
    const line = lineOf[i];
    // The splitter's limit counts the characters before the newline, a CR included.
    const withCr = bytes[ends[i]] === CR;
    const text = whole !== null ? whole.slice(textStarts[i], textEnds[i]) : decoder.decode(bytes.subarray(starts[i], ends[i] + (withCr ? 1 : 0)));
    if (text.length > limit) return { row, line, text: previewOf(text, limit), tooLarge: limit };
    return { row, line, text: withCr ? text.slice(0, -1) : text };
  };
  const flush = async (): Promise<void> => {
    if (starts.length === 0) return;
    const result = await processBatch(
      {
        source: block.source,
        count: starts.length,
        fastFill: (i: number, slot: number, data: FeedData[]) =>
          fill && ends[i] - starts[i] < limit ? fill(bytes, starts[i], ends[i], slot, data) : null,
        record,
      },
      ctx,
    );
    parts.push(format(result));
    starts.length = ends.length = textStarts.length = textEnds.length = rowOf.length = lineOf.length = 0;
  };

  for (let pos = 0; pos < bytes.length; ) {
    const nl = bytes.indexOf(NL, pos);
    const textNl = whole !== null ? whole.indexOf('\n', textPos) : 0;
    lines++;
    let end = nl;
    if (end > pos && bytes[end - 1] === CR) end--;
    let blank = end === pos;
    const first = bytes[pos];
    if (!blank && (first === 32 || first === 9 || first === CR)) {
      const text = whole !== null ? whole.slice(textPos, textNl) : decoder.decode(bytes.subarray(pos, nl));
      blank = text.length <= limit && isBlank(end < nl ? text.slice(0, -1) : text);
    }
    if (!blank) {
      records++;
      starts.push(pos);
      ends.push(end);
      textStarts.push(textPos);
      textEnds.push(textNl);
      rowOf.push(records);
      lineOf.push(lines);
      if (starts.length >= size) await flush();
    }
    pos = nl + 1;
    textPos = textNl + 1;
  }
  await flush();
  return { parts, lines };
}
