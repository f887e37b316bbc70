/**
 * Wires one run: sources → splitter → chunker → processChunk → formatter → sink, plus the sidecar.
 * Chunks are processed and written strictly in input order through one queue; reading pauses while too many
 * chunks wait (backpressure from a slow output). The only place where streams meet the pure stages.
 */
import { statSync } from 'node:fs';
import { constants } from 'node:buffer';
import { getHeapStatistics } from 'node:v8';
import { RunError } from '../errors.js';
import type { Options, RecordFormat } from '../options.js';
import { planFeatures, type FeaturePlan } from '../model/featurePlan.js';
import { planOutputs, type OutputPlan } from '../model/outputPlan.js';
import type { ModelBytes, ModelSession } from '../model/session.js';
import type { Columns, InputFormat } from '../input/inputFormat.js';
import { rowFormatter, type OutputFormat, type OutputLayout, type RowFormatter } from '../output/formatters.js';
import type { ParquetSettings } from '../output/parquetOutput.js';
import { fileOffset, type Source } from '../input/sources.js';
import { checkInputs, checkSameShape, openInput } from '../input/inputCheck.js';
import type { Sink } from '../output/sinks.js';
import type { Sidecar } from '../output/sidecar.js';
import { makeContext, makeLayout } from '../score/context.js';
import { formatChunk, type FormattedChunk } from '../score/formatChunk.js';
import { WorkerPool, type Scored, type Work } from '../score/workerPool.js';
import { Chunker } from '../input/chunker.js';
import { processChunk, type ChunkContext, type ChunkResult, type RecordBatch } from '../score/processChunk.js';
import { checkNested, denseReadable, parquetGroups, parquetUnits, unitBatches } from '../input/parquetInput.js';
import { openParquetInput, scoreParquetUnit } from '../input/parquetSource.js';
import { processBlock } from '../score/processBlock.js';
import { BLOCK_BYTES, readLines, type Numbering } from '../input/sourceReader.js';
import type { BlockCutter } from '../input/blockCutter.js';
import type { RawRecord } from '../input/recordSplitter.js';
import type { InputPart } from '../input/shardPlan.js';
import type { MonitorSetup, RunMonitor } from '../monitor/runMonitor.js';
import { planChallenger, withChallenger } from '../score/challenger.js';

export interface RunSettings {
  options: Options;
  session: ModelSession;
  /** The model's bytes, read once: workers make their sessions from them, never from the path again. */
  model: ModelBytes;
  /** The output format, chosen once the first input's format is known. */
  outputFormatFor(input: RecordFormat): OutputFormat;
  sink: Sink;
  sidecar: Sidecar;
  onProgress?: (p: Progress) => void;
  /** Called once the plan is made (e.g. to warn about left-out outputs). */
  onPlan?: (plan: FeaturePlan, outputs: OutputPlan) => void;
  /** Aborted on SIGINT/SIGTERM: reading stops and the run fails with the signal's reason (a RunError). */
  signal?: AbortSignal;
  /** Workers started early, for a large input (they load the model while the main thread does); closed at the end. */
  pool?: WorkerPool | null;
  /** What to read of each input (a shard's parts, see shardPlan.ts); default: every input whole. */
  parts?: InputPart[];
  /** Profiling and drift (README "Monitoring"): the units' partials are merged into it as they are written. */
  monitor?: RunMonitor | null;
  /** --challenger: its session in the main thread, and its bytes for the workers. */
  challenger?: { session: ModelSession; model: ModelBytes } | null;
}

export interface Progress {
  source: Source;
  scored: number;
  failed: number;
}

export interface RunCounts {
  scored: number;
  failed: number;
  written: number;
  /** Model calls made, retries and isolation included. */
  modelCalls: number;
  /** The ForestFlow request's `configs`, when the input was one. */
  configs?: unknown;
  /** The output columns of each output (champion, then challenger), as written. */
  columnNames?: string[][];
}

interface FirstSource {
  source: string;
  format: InputFormat;
  columns: Columns;
}

/**
 * How many chunks or blocks may be in flight (being scored or waiting for the writer) before reading pauses.
 * Writing in order means a slow block holds up those behind it; with 4 both threads sat idle ~10% of a run,
 * 8 was 5–10% faster end to end (CSV and JSONL, alternating runs) for ~5 MB more.
 */
const MAX_QUEUED_CHUNKS = 8;
/**
 * Parquet row groups in flight beyond one per worker: a row group is the unit (≈ 60 bytes a row compressed and
 * decoded, more while its output is made), so memory is bounded by a few row groups whatever the file's size.
 */
const PARQUET_UNITS_QUEUED = 1;
/** Chunks or blocks scored in the main thread before workers take over: small inputs never pay for workers. */
const INLINE_CHUNKS = 2;

export function newCounts(): RunCounts {
  return { scored: 0, failed: 0, written: 0, modelCalls: 0 };
}

/** Runs the pipeline, keeping `counts` up to date as chunks are written (so a failed run still says how far it got). */
export async function runPipeline(s: RunSettings, counts: RunCounts): Promise<void> {
  const { options } = s;
  const outputs = planOutputs(s.session.info, options.outputs);
  // The output columns: the champion's outputs, the challenger's after them; --ood's column after the kept ones.
  const written = withChallenger(outputs, s.session.info.file.classLabels, s.challenger?.session ?? null);
  const keepNames = options.monitor.ood === null ? options.keep : [...options.keep, options.monitor.ood];
  let monitorSetup: MonitorSetup | null = null;
  let first: FirstSource | null = null;
  let ctx: ChunkContext | null = null;
  let formatter: RowFormatter | null = null;
  let outputFormat: OutputFormat | null = null;
  let parquetSettings: ParquetSettings | null = null;
  let layout: OutputLayout | null = null;
  let pool: WorkerPool | null = s.pool ?? null;
  let submitted = 0;
  const maxQueued = Math.max(MAX_QUEUED_CHUNKS, 2 * options.workers + 2);
  let recordsWritten = 0;
  const jsonErrors: Array<[number, string]> = [];
  // The output columns come from the first chunk scored (inline); workers may start before, and wait for them.
  let layoutKnown: (layout: OutputLayout) => void = () => undefined;
  const layoutReady = new Promise<OutputLayout>((resolve) => (layoutKnown = resolve));

  // The ordered queue: chunks are scored as soon as they are submitted (by workers, in parallel) or when their
  // turn comes (in the main thread), and written strictly in input order.
  let tail: Promise<void> = Promise.resolve();
  let queued = 0;
  let failure: unknown;
  let wake: (() => void) | null = null;

  // Row groups read by hyparquet's general reader are scored in the main thread (their columns are JS arrays).
  type RunWork = Work | { batches: RecordBatch[] };
  const scoreInline = async (work: RunWork): Promise<Scored> => {
    let rowsBefore = counts.written;
    const layoutFrom = (result: ChunkResult): OutputLayout => {
      if (layout === null) {
        layout = makeLayout(keepNames, written.outputs, result.recordShapes, written.labels);
        layoutKnown(layout);
      }
      return layout;
    };
    const format = (result: ChunkResult): FormattedChunk => {
      const formatted = formatChunk(result, formatter!, layoutFrom(result), rowsBefore === 0);
      rowsBefore += formatted.rows;
      return formatted;
    };
    const group = formatter!.groupBuilder?.bind(formatter);
    const groupFor = group && ((first: ChunkResult, capacity: number) => group(layoutFrom(first), capacity));
    if ('batches' in work) return scoreParquetUnit(work.batches, ctx!, format, groupFor);
    if ('parquet' in work) return scoreParquetUnit(unitBatches(work.parquet, ctx!.plan, ctx!.batchSize), ctx!, format, groupFor);
    if ('serve' in work) throw new RunError('INTERNAL', 'an HTTP batch reached a file run');
    return 'block' in work ? processBlock(work.block, ctx!, format) : format(await processChunk(work.chunk, ctx!));
  };

  /**
   * Writes a chunk, or a block's batches (whose rows and lines `numbering` places in their source, and whose byte
   * offsets count from `at`).
   */
  const write = async (done: Scored, source: Source, numbering: Numbering | null, at: number): Promise<void> => {
    const block = 'parts' in done;
    if (block && done.monitor) s.monitor?.merge(done.monitor);
    for (const chunk of block ? done.parts : [done]) {
      if (chunk.monitor) s.monitor?.merge(chunk.monitor);
      if (counts.written === 0) await s.sink.write(formatter!.head(layout!));
      const text = chunk.rowGroup !== undefined ? formatter!.place!({ bytes: chunk.text as Uint8Array, group: chunk.rowGroup }) : chunk.text;
      if (text.length) await s.sink.write(text);
      counts.written += chunk.rows;
      if (block && numbering) {
        // A block numbers its rows and lines from its start (a Parquet unit's rows are numbered in the file).
        for (const e of chunk.errors) {
          e.row += numbering!.rows;
          e.line = (e.line ?? 0) + numbering!.lines;
        }
      }
      for (const e of chunk.errors) if (e.offset !== null) e.offset = fileOffset(source, e.offset + at);
      await s.sidecar.add(chunk.errors);
      counts.scored += chunk.scored;
      counts.failed += chunk.errors.length;
      counts.modelCalls += chunk.calls;
      for (const [i, message] of chunk.failed) jsonErrors.push([recordsWritten + i, message]);
      recordsWritten += chunk.records;
      checkThresholds(counts, options);
    }
    if (block && numbering) {
      numbering.rows += done.parts.reduce((a, p) => a + p.records, 0);
      numbering.lines += done.lines;
    }
  };

  /**
   * The worker pool (started early by the caller, or here), told the plan; JSON documents are written by the main
   * thread alone, and so is Parquet output gathered from small chunks (a Parquet input's row groups are not).
   */
  const workerFor = (): WorkerPool | null => {
    if (options.workers === 0 || outputFormat === 'json' || (outputFormat === 'parquet' && !parquetSettings?.groupPerCall)) return null;
    pool ??= new WorkerPool(options.workers, options, s.model, s.challenger?.model ?? null);
    pool.configure({ inputFormat: first!.format.name, columns: first!.columns.names, outputFormat: outputFormat!, parquet: parquetSettings ?? undefined, monitor: monitorSetup });
    return pool;
  };

  /**
   * Work sharing: while the writer waits for a worker's result, the main thread scores queued work no worker has
   * taken yet, instead of idling (it would otherwise only read and write, a fraction of a core).
   */
  const helpWhileWaiting = async (result: Promise<Scored>): Promise<Scored> => {
    let settled = false;
    result.then(() => (settled = true), () => (settled = true));
    await Promise.resolve(); // let an already settled result say so
    for (let item = settled ? null : pool?.steal(); item; item = settled ? null : pool?.steal()) {
      try {
        item.resolve(await scoreInline(item.work));
      } catch (err) {
        item.reject(err);
      }
    }
    return result;
  };

  let closed = false; // after the run has ended, a late flush timer must not start anything
  const submit = (source: Source, work: RunWork, numbering: Numbering | null = null, at = 0): void => {
    if (closed) return;
    queued++;
    // A Parquet row group is large: only the first (which makes the layout) is scored inline.
    const inlined = 'parquet' in work ? 1 : INLINE_CHUNKS;
    const workers = ++submitted > inlined && !('batches' in work) ? workerFor() : null;
    // Work for a worker waits for the output layout, which the first record scored inline makes. When its turn
    // comes and no record has been scored yet (the blocks before held only blank lines), it is scored inline
    // instead: waiting for a layout that nothing ahead will make would hang the run.
    let inline = false;
    const scored = workers ? layoutReady.then((l) => (inline ? null : workers.run(work as Work, l))) : null;
    scored?.catch(() => undefined); // rejections are handled in turn below
    tail = tail.then(async () => {
      if (failure !== undefined) return;
      try {
        inline = scored === null || layout === null;
        await write(inline ? await scoreInline(work) : (await helpWhileWaiting(scored as Promise<Scored>))!, source, numbering, at);
        s.onProgress?.({ source, scored: counts.scored, failed: counts.failed });
      } catch (err) {
        failure ??= err;
      } finally {
        queued--;
        wake?.();
      }
    });
  };

  /** Makes the plan from the first source's columns (once), or checks a later source against it. */
  const useColumns = (source: Source, format: InputFormat, columns: Columns): void => {
    if (first === null) {
      first = { source: source.name, format, columns };
      const plan = planFeatures(columns.names, s.session.info, { features: options.features, keep: options.keep, ignore: options.ignore });
      outputFormat = s.outputFormatFor(format.name);
      // The JSON response keeps every record's place (null for a failed one) under --on-error skip too, so that an
      // `errors` key is the index of its record in `predictions` (and in the input).
      const onError = outputFormat === 'json' ? 'null' : options.onError;
      monitorSetup = s.monitor?.setup(plan, outputs.specs, s.session.info.file.classLabels) ?? null;
      const challenger = s.challenger ? planChallenger(columns.names, plan, s.challenger.session, options) : null;
      ctx = makeContext(plan, outputs, format, { ...options, onError }, s.session, { monitor: monitorSetup, challenger });
      parquetSettings = { compression: options.compression, columns, groupPerCall: format.name === 'parquet' };
      formatter = rowFormatter(outputFormat, parquetSettings);
      s.onPlan?.(plan, outputs);
      return;
    }
    checkSameShape(first, source.name, format, columns);
  };

  /** Waits while too many chunks are queued (a slow output holds reading back). */
  const room = async (limit = maxQueued): Promise<void> => {
    checkAbort();
    checkFailure();
    while (queued >= limit && failure === undefined) await new Promise<void>((r) => (wake = r));
  };

  try {
    // Several inputs: all are checked to agree before anything is written.
    let stdin = options.inputs.length > 1 ? await checkInputs(options, s.signal) : null;
    for (const { name, range } of s.parts ?? options.inputs.map((name) => ({ name, range: null }))) {
      checkAbort();
      const opened = name === '-' && stdin !== null ? stdin : await openInput(name, options, s.signal, range);
      // A shard's part that starts inside a file reads the file's head for the column names only.
      const head = range?.head ?? 0;
      const ownRecords = (records: RawRecord[]): RawRecord[] => (head > 0 ? records.filter((r) => (r.offset ?? head) >= head) : records);
      if (name === '-') stdin = null;
      const { source, format, firstPiece, pieces } = opened;
      // A signal stops reading at once, even while waiting for input that may never come.
      const stop = () => source.close();
      s.signal?.addEventListener('abort', stop);
      let stopTimer = (): void => undefined;
      try {
        const chunker = new Chunker(options.batchSize, options.flushMs, (records) => submit(source, { chunk: { source: source.name, records } }));
        let cutter: BlockCutter | null = null;
        stopTimer = () => {
          chunker.stop();
          cutter?.stop();
        };
        // Later sources without a header (JSON, --no-header) take the first source's columns.
        const known = first as FirstSource | null;
        let columns: Columns | null = known !== null && !known.columns.header ? known.columns : null;
        let held: RawRecord[] = [];
        const take = (records: RawRecord[]): void => {
          if (columns === null) {
            for (const r of records) held.push(r); // not push(...records): a document's records overflow the stack
            columns = format.columns(held, source.name);
            if (columns === null) return;
            useColumns(source, format, columns);
            records = held;
            held = [];
            if (columns.header) records.shift();
          }
          if (columns.header) for (const r of records) r.row--; // the header is not a record
          records = ownRecords(records);
          if (records.length) chunker.add(records);
        };
        if (format.document) {
          const text = await readAll(source.name, firstPiece, pieces);
          const doc = format.document(text, source.name);
          if (doc.configs !== undefined) counts.configs = doc.configs;
          if (doc.columns) columns = { names: doc.columns, header: false };
          if (columns) useColumns(source, format, columns);
          take(doc.records);
        } else if (format.name === 'parquet') {
          // Row group by row group, from the file (standard input is spooled to one first).
          const parquet = await openParquetInput(opened);
          try {
            useColumns(source, format, (columns = parquet.columns));
            checkNested(parquet, ctx!.plan);
            if (denseReadable(parquet, ctx!.plan)) {
              for await (const unit of parquetUnits(parquet, ctx!.plan)) {
                await room(PARQUET_UNITS_QUEUED + options.workers);
                submit(source, { parquet: unit });
              }
            } else {
              for await (const batches of parquetGroups(parquet, ctx!.plan, options.batchSize)) {
                await room();
                submit(source, { batches });
              }
            }
          } finally {
            await parquet.close();
          }
        } else {
          await readLines(format, pieces, firstPiece, options, {
            records: take,
            columns: () => columns,
            block: (bytes, numbering, at) => submit(source, { block: { source: source.name, bytes } }, numbering, at),
            flushRecords: () => chunker.flush(),
            drain: async () => {
              chunker.flush();
              await tail;
              checkFailure();
            },
            room,
          }, (c) => (cutter = c));
          checkAbort();
        }
        if (columns === null && held.length > 0) {
          // No record could name the columns (none parsed): they all fail as they are, against positional names.
          const width = s.session.info.inputs[0]?.shape[1];
          columns = { names: Array.from({ length: typeof width === 'number' && width > 0 ? width : 1 }, (_, i) => String(i + 1)), header: false };
          useColumns(source, format, columns);
          chunker.add(ownRecords(held));
        }
        chunker.flush();
        await tail;
        checkFailure();
        s.onProgress?.({ source, scored: counts.scored, failed: counts.failed });
      } catch (err) {
        checkAbort(); // a source closed by a signal may end with an error of its own: the signal is the reason
        throw err;
      } finally {
        stopTimer();
        s.signal?.removeEventListener('abort', stop);
        source.close();
      }
    }

    await tail;
    checkFailure();
    checkAbort(); // a source stopped by a signal may look like one that ended: its output must not be committed
    checkThresholds(counts, options, true);
    formatter ??= rowFormatter(s.outputFormatFor(options.inputFormat ?? 'csv'), { compression: options.compression, columns: null });
    // An empty input still gets its header (and the JSON document its shell).
    if (counts.written === 0) {
      layout ??= makeLayout(keepNames, written.outputs, null, written.labels);
      await s.sink.write(formatter.head(layout));
    }
    await s.sink.write(formatter.tail(jsonErrors));
    counts.columnNames = (layout as OutputLayout | null)?.columnNames ?? makeLayout(keepNames, written.outputs, null, written.labels).columnNames;
  } finally {
    closed = true;
    await (pool as WorkerPool | null)?.close();
  }

  function checkFailure(): void {
    if (failure !== undefined) throw failure;
  }

  function checkAbort(): void {
    if (s.signal?.aborted) throw s.signal.reason;
  }
}

/**
 * Workers started before the run, so they load the model while the main thread loads its own: when the input is
 * known to be larger than the blocks scored inline, and its output is not a JSON document (written by the main
 * thread alone) nor Parquet gathered from another format. Otherwise the runner starts them once that much input
 * has come (standard input).
 */
export function earlyWorkers(options: Options, model: ModelBytes, challenger: ModelBytes | null = null): WorkerPool | null {
  const json = /\.json(\.gz)?$/i;
  const parquet = (name: string) => options.inputFormat === 'parquet' || /\.parquet$/i.test(name);
  const parquetOut = options.outputFormat === 'parquet' || /\.parquet$/i.test(options.output ?? '');
  // batch-score profile's -o is the profile (JSON), not a JSON document of predictions.
  if (options.workers === 0 || options.outputFormat === 'json' || (!options.monitor.profile && json.test(options.output ?? ''))) return null;
  let bytes = 0;
  for (const input of options.inputs) {
    if (input === '-' || json.test(input) || (parquetOut && !parquet(input))) return null;
    try {
      bytes += statSync(input).size;
    } catch {
      return null; // reported when the input is opened
    }
  }
  return bytes > INLINE_CHUNKS * BLOCK_BYTES ? new WorkerPool(options.workers, options, model, challenger) : null;
}

/**
 * The most bytes read as one JSON document. Parsed, a document takes 13–24× its size in memory (measured RSS
 * growth: 14 MB of `{"inputs": [[4 decimals], …]}` +180 MB, 7 MB of short records `[i,0.5,-2,1]` +166 MB), so
 * with room for the collector, beyond 1/48 of the heap limit the process would die of an out-of-memory abort
 * instead of saying why; and no text may exceed V8's string length limit (~512 MiB).
 */
export function maxDocumentBytes(): number {
  return Math.min(constants.MAX_STRING_LENGTH, Math.floor(getHeapStatistics().heap_size_limit / 48));
}

/** A whole document's text, or an INPUT error naming the remedy when it cannot be held in memory. */
async function readAll(name: string, first: Buffer, pieces: AsyncIterator<Buffer>): Promise<string> {
  const limit = maxDocumentBytes();
  const all = [first];
  let bytes = first.length;
  const tooLarge = () =>
    new RunError('INPUT', `${name} is too large to read as one JSON document (over ${Math.floor(limit / 2 ** 20)} MiB); write it as JSONL, one record per line (e.g. jq -c '.inputs[]'), which is read as a stream`);
  for (let r = await pieces.next(); !r.done && bytes <= limit; r = await pieces.next()) {
    all.push(r.value);
    bytes += r.value.length;
  }
  if (bytes > limit) throw tooLarge();
  return new TextDecoder('utf-8', { ignoreBOM: true }).decode(Buffer.concat(all));
}

/**
 * --max-errors and --max-error-rate: exceeding either stops the run (exit 4). While reading, the rate waits for
 * --batch-size records (one bad first record is not a rate); at the end of the input (`atEnd`) it is checked
 * whatever the count, so a short input over the rate fails too.
 */
function checkThresholds(counts: RunCounts, options: Options, atEnd = false): void {
  const read = counts.scored + counts.failed;
  const where = atEnd ? `at the end of the input, ${read} records (${counts.failed} failed)` : `after ${read} records (${counts.failed} failed)`;
  if (options.maxErrors !== null && counts.failed > options.maxErrors) {
    throw new RunError('THRESHOLD', `more than --max-errors ${options.maxErrors} records failed; stopped ${where}`);
  }
  if (options.maxErrorRate !== null && (atEnd || read >= options.batchSize) && read > 0 && counts.failed / read > options.maxErrorRate) {
    throw new RunError('THRESHOLD', `more than --max-error-rate ${options.maxErrorRate} of the records failed; stopped ${where}`);
  }
}

