/**
 * The run's side of --resume (issue 17): the point reached after each block of bytes is written (where reading
 * stands in which input, the numbering, the counts, the writer's and the sidecar's state), and a resumed run set
 * back to a checkpoint's point — its counts and writer restored, its inputs read from that point on.
 */
import type { Options } from '../../options.js';
import { fileOffset, inputSize, type Source, type SourceRange } from '../../input/sources.js';
import { headEnd, isGzip, type InputPart } from '../../input/shardPlan.js';
import { openInput } from '../../input/inputCheck.js';
import type { Numbering, OrderedWriter, WriterCounts, WriterState } from '../../output/orderedWriter.js';
import type { Sidecar } from '../../output/sidecar.js';
import type { CheckpointPoint } from './journal.js';
import type { Reached } from './checkpointer.js';
import type { ListedFailure } from './listedFailures.js';

/** What a checkpoint keeps of the writer and the sidecar, beyond the counts every point has. */
interface WrittenState {
  document: WriterState;
  sidecar: ReturnType<Sidecar['state']>;
  written: number;
  modelCalls: number;
}

/** A run's --resume: where it starts (null: at the beginning), and who takes each point it reaches. */
export interface RunResume {
  start: CheckpointPoint | null;
  /** The JSON document's failures listed before the start (its tail's `errors`). */
  listed: ListedFailure[];
  /** After a block is written: the point, and the writer's whole list of failures (what it gained is kept). */
  reached(point: Reached, listed: ReadonlyArray<ListedFailure>): void;
}

/** An input part to read, with its index among the run's parts and the numbering it starts from. */
export interface PartToRead extends InputPart {
  input: number;
  from: Numbering | null;
}

/** The point after a block ending at `end` (of input `input`), just written. */
export function pointAfter(input: number, source: Source, end: number, numbering: Numbering, counts: WriterCounts, writer: OrderedWriter, sidecar: Sidecar): Reached {
  const state: WrittenState = { document: writer.state(), sidecar: sidecar.state(), written: counts.written, modelCalls: counts.modelCalls };
  return {
    input,
    offset: fileOffset(source, end),
    rows: numbering.rows,
    lines: numbering.lines,
    records: counts.read,
    scored: counts.scored,
    failed: counts.failed,
    writer: state,
  };
}

/**
 * The point after an input's last record and its writer's end (--output-dir): a later run skips the input, and
 * needs only its counts and its sidecar's.
 */
export function pointAtEnd(counts: WriterCounts, sidecar: Sidecar): Reached {
  const state: Omit<WrittenState, 'document'> = { sidecar: sidecar.state(), written: counts.written, modelCalls: counts.modelCalls };
  return { input: 0, offset: 0, rows: 0, lines: 0, records: counts.read, scored: counts.scored, failed: counts.failed, writer: state };
}

/** Sets a resumed run's counts, writer and sidecar back to the checkpoint's point. */
export function restoreRun(start: CheckpointPoint, listed: ListedFailure[], counts: WriterCounts, writer: OrderedWriter, sidecar: Sidecar): void {
  restoreCounts(start, counts, sidecar);
  writer.restore((start.writer as WrittenState).document, listed);
}

/** Sets the counts and the sidecar's back to the checkpoint's point (all a complete input needs). */
export function restoreCounts(start: CheckpointPoint, counts: WriterCounts, sidecar: Sidecar): void {
  const state = start.writer as WrittenState;
  counts.read = start.records;
  counts.scored = start.scored;
  counts.failed = start.failed;
  counts.written = state.written;
  counts.modelCalls = state.modelCalls;
  sidecar.restore(state.sidecar);
}

/**
 * The parts still to read: from the checkpoint's input on, that input from the point's offset (after its first
 * record, read again for the column names); a gzip input is inflated from its start and skipped up to the point.
 */
export async function partsToRead(parts: InputPart[], start: CheckpointPoint | null, options: Options): Promise<PartToRead[]> {
  const all = parts.map((part, input) => ({ ...part, input, from: null }));
  if (start === null) return all;
  const [at, ...after] = all.slice(start.input);
  if (at === undefined) return [];
  const range = await rangeFrom(at, start.offset, options);
  return [{ ...at, range, from: { rows: start.rows, lines: start.lines } }, ...after];
}

async function rangeFrom(part: InputPart, offset: number, options: Options): Promise<SourceRange> {
  const opened = await openInput(part.name, options);
  opened.source.close();
  const format = opened.format.name;
  const delimiter = format === 'jsonl' ? null : options.delimiter ?? (format === 'tsv' ? '\t' : ',');
  const needsHead = format === 'jsonl' || options.header;
  const inflated = await isGzip(part.name);
  const end = part.range?.end ?? (inflated ? Number.MAX_SAFE_INTEGER : await inputSize(part.name));
  return { head: needsHead ? await headEnd(part.name, delimiter) : 0, start: offset, end, ...(inflated ? { inflated } : {}) };
}
