/**
 * The ordered writer: blocks (the units of work) are scored in any order (workers, the main thread) and written
 * strictly in the order they were submitted. It owns everything "written" means for a run, so the runner only wires:
 * - order: one queue; a block is written when all before it are;
 * - backpressure: `room()` waits while too many blocks are queued (a slow output holds reading back);
 * - counts: `read` and `failed` are added from each batch, `scored` is what is left (read = scored + failed);
 * - thresholds: --max-errors / --max-error-rate, checked as batches are written and at the end;
 * - the sidecar: each batch's record errors, renumbered from their block's start to their source's;
 * - the document: the head once, the formatter's separator between batches' rows, the tail with every failed
 *   record's index (the JSON document's `errors`).
 * The first failure (a block that failed, a threshold, the output) stops it: nothing after is written.
 */
import { RunError } from '../errors.js';
import type { EncodedGroup, OutputLayout, RowFormatter } from './formatters.js';
import type { SidecarEntry } from './sidecar.js';
import type { MonitorPartial } from '../monitor/runMonitor.js';

/** One scored batch of records (up to --batch-size, one model call or a few), formatted: what the writer writes and counts. */
export interface FormattedBatch {
  text: string | Uint8Array;
  /** When `text` is an encoded Parquet row group: its metadata, for the formatter to place (see place()). */
  rowGroup?: EncodedGroup['group'];
  /** Record errors; rows and lines numbered from the block's start when the block is submitted with a numbering. */
  errors: SidecarEntry[];
  /** Output rows in `text`. */
  rows: number;
  /** Records read (scored or failed). */
  records: number;
  /** Model calls made, retries and isolation included. */
  calls: number;
  /** 0-based index in the batch and message of each failed record (the JSON document's `errors`). */
  failed: Array<[number, string]>;
}

/**
 * A block, scored and formatted: its batches in order, and the lines it spans (to number what follows). What a
 * block gives beyond its batches (a partial profile of its feeds, say) belongs here, next to them.
 */
export interface FormattedBlock {
  batches: FormattedBatch[];
  lines: number;
  /** The block's partial profile (and challenger agreement), when the run monitors. */
  monitor?: MonitorPartial;
}

/** Records and lines of a source before the next block (blocks number their rows and lines from their start). */
export interface Numbering {
  rows: number;
  lines: number;
}

export interface WriterCounts {
  read: number;
  scored: number;
  failed: number;
  /** Output rows written. */
  written: number;
  modelCalls: number;
}

export interface ErrorLimits {
  maxErrors: number | null;
  maxErrorRate: number | null;
  /** The rate is judged from this many records on (one bad first record is not a rate). */
  batchSize: number;
}

export interface WriterSettings {
  sink: { write(text: string | Uint8Array): Promise<void> };
  sidecar: { add(entries: SidecarEntry[]): Promise<void> };
  limits: ErrorLimits;
  /** Blocks queued (being scored or waiting to be written) before `room()` waits. */
  maxQueued: number;
  /** Kept up to date as batches are written, so a failed run still says how far it got. */
  counts: WriterCounts;
  /** Takes each block's partial profile as the block is written (profiles merge in input order). */
  monitor?: { merge(partial: MonitorPartial): void } | null;
}

/** What the writer has written of the document, to go on with it exactly (a resumed run, see run/resume/). */
export interface WriterState {
  headWritten: boolean;
  textWritten: boolean;
  /** How many failures the JSON document lists so far (the list itself is kept apart: it grows with every failure). */
  listed: number;
  /** The formatter's own state (a Parquet output's row groups written so far), when it keeps one. */
  format?: unknown;
}

export function newCounts(): WriterCounts {
  return { read: 0, scored: 0, failed: 0, written: 0, modelCalls: 0 };
}

export class OrderedWriter {
  private tail: Promise<void> = Promise.resolve();
  private queued = 0;
  private failure: unknown;
  private waiting: Array<() => void> = [];
  private closed = false;
  private document: { formatter: RowFormatter; layout: () => OutputLayout } | null = null;
  private headWritten = false;
  private textWritten = false;
  private readonly jsonErrors: Array<[number, string]> = [];
  /** A resumed run's formatter state, given to the formatter when it comes (open()). */
  private formatState: unknown;

  constructor(private readonly s: WriterSettings) {}

  /** The output's formatter, and its layout (asked for when the head is written, after the first block is scored). */
  open(formatter: RowFormatter, layout: () => OutputLayout): void {
    if (this.document !== null) return;
    this.document = { formatter, layout };
    if (this.formatState !== undefined) formatter.restore?.(this.formatState);
  }

  get isOpen(): boolean {
    return this.document !== null;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Queues a block: `scored` is called when the blocks before it are written (a block scored elsewhere returns the
   * promise it already has), and its batches are written in order. `numbering` places a block numbered from its
   * start in its source, and moves on past it; without it, the block's rows and lines are the source's already.
   * `written` is called (and awaited, before the next block is written) once the block is written.
   */
  submit(scored: () => Promise<FormattedBlock>, numbering: Numbering | null = null, written?: () => void | Promise<void>): void {
    if (this.closed) return;
    this.queued++;
    this.tail = this.tail.then(async () => {
      if (this.failure !== undefined) return;
      try {
        await this.write(await scored(), numbering);
        await written?.();
      } catch (err) {
        this.failure ??= err;
      } finally {
        this.queued--;
        for (const wake of this.waiting.splice(0)) wake();
      }
    });
  }

  /** Resolves when fewer than `limit` blocks are queued; throws the failure that stopped the writer, if any. */
  async room(limit = this.s.maxQueued): Promise<void> {
    this.check();
    while (this.queued >= limit && this.failure === undefined) await new Promise<void>((r) => this.waiting.push(r));
    this.check();
  }

  /** Resolves once every block submitted is written; throws the failure that stopped the writer, if any. */
  async drain(): Promise<void> {
    await this.tail;
    this.check();
  }

  /** After the last block: the end-of-input threshold check, the head if nothing was written, and the tail. */
  async finish(): Promise<void> {
    await this.drain();
    checkThresholds(this.s.counts, this.s.limits, true);
    await this.writeHead();
    await this.s.sink.write(this.formatter().tail(this.jsonErrors));
  }

  /** Where the document stands (after the blocks written so far). */
  state(): WriterState {
    const format = this.document?.formatter.checkpoint?.();
    return { headWritten: this.headWritten, textWritten: this.textWritten, listed: this.jsonErrors.length, ...(format === undefined ? {} : { format }) };
  }

  /** Whether a checkpoint can fall after the blocks written so far (not inside a Parquet row group). */
  get atPoint(): boolean {
    return this.document?.formatter.checkpoint?.() !== null;
  }


  /** The failures a JSON document lists so far, in order (not a copy: read it before the next block is written). */
  get listedFailures(): ReadonlyArray<[number, string]> {
    return this.jsonErrors;
  }

  /**
   * Goes on from a state an earlier run reached, with the failures the document listed by then (the counts are
   * restored by the caller, who shares them).
   */
  restore(state: WriterState, listed: ReadonlyArray<[number, string]>): void {
    if (listed.length !== state.listed) throw new RunError('USAGE', `a checkpoint's list of failures holds ${listed.length}, not ${state.listed}; run without --resume to start again`);
    this.headWritten = state.headWritten;
    this.textWritten = state.textWritten;
    this.formatState = state.format;
    for (const failure of listed) this.jsonErrors.push(failure);
  }

  /** Takes no more blocks (a flush timer firing after the run has ended starts nothing). */
  close(): void {
    this.closed = true;
  }

  private check(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  private formatter(): RowFormatter {
    if (this.document === null) throw new RunError('INTERNAL', 'the output was written before its format was known');
    return this.document.formatter;
  }

  private async writeHead(): Promise<void> {
    if (this.headWritten) return;
    this.headWritten = true;
    await this.s.sink.write(this.formatter().head(this.document!.layout()));
  }

  private async write(block: FormattedBlock, numbering: Numbering | null): Promise<void> {
    const { counts } = this.s;
    if (block.monitor) this.s.monitor?.merge(block.monitor);
    for (const batch of block.batches) {
      await this.writeHead();
      if (batch.text.length) {
        const formatter = this.formatter();
        if (this.textWritten && formatter.separator) await this.s.sink.write(formatter.separator);
        const text = batch.rowGroup === undefined ? batch.text : formatter.place!({ bytes: batch.text as Uint8Array, group: batch.rowGroup });
        await this.s.sink.write(text);
        this.textWritten = true;
      }
      if (numbering) {
        for (const e of batch.errors) {
          e.row += numbering.rows;
          e.line = (e.line ?? 0) + numbering.lines;
        }
      }
      await this.s.sidecar.add(batch.errors);
      // Only a JSON document lists its failures: other formats keep none (every point of a --resume run would carry them).
      if (this.formatter().listsFailures) for (const [i, message] of batch.failed) this.jsonErrors.push([counts.read + i, message]);
      counts.written += batch.rows;
      counts.read += batch.records;
      counts.failed += batch.errors.length;
      counts.scored = counts.read - counts.failed;
      counts.modelCalls += batch.calls;
      checkThresholds(counts, this.s.limits);
    }
    const closing = this.document?.formatter.endBlock?.();
    if (closing?.length) {
      await this.s.sink.write(closing);
      this.textWritten = true;
    }
    if (numbering) {
      for (const batch of block.batches) numbering.rows += batch.records;
      numbering.lines += block.lines;
    }
  }
}

/**
 * --max-errors and --max-error-rate: exceeding either stops the run (exit 4). While reading, the rate waits for
 * --batch-size records (one bad first record is not a rate); at the end of the input (`atEnd`) it is checked
 * whatever the count, so a short input over the rate fails too.
 */
function checkThresholds(counts: WriterCounts, limits: ErrorLimits, atEnd = false): void {
  const { read, failed } = counts;
  const where = atEnd ? `at the end of the input, ${read} records (${failed} failed)` : `after ${read} records (${failed} failed)`;
  if (limits.maxErrors !== null && failed > limits.maxErrors) {
    throw new RunError('THRESHOLD', `more than --max-errors ${limits.maxErrors} records failed; stopped ${where}`);
  }
  if (limits.maxErrorRate !== null && (atEnd || read >= limits.batchSize) && read > 0 && failed / read > limits.maxErrorRate) {
    throw new RunError('THRESHOLD', `more than --max-error-rate ${limits.maxErrorRate} of the records failed; stopped ${where}`);
  }
}
