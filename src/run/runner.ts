/**
 * Wires one run: readers (one per input, in order) → the scheduler (the unit function, in the main thread or a
 * worker) → the ordered writer (order, backpressure, counts, thresholds, sidecar, the document). The plan is made
 * once, from the first input's columns; later inputs must agree with it. The only place where streams meet the
 * pure stages.
 */
import { statSync } from 'node:fs';
import type { Options, RecordFormat } from '../options.js';
import type { FeaturePlan } from '../model/featurePlan.js';
import { planOutputs, type OutputPlan } from '../model/outputPlan.js';
import type { MonitorSetup, RunMonitor } from '../monitor/runMonitor.js';
import type { ModelBytes, ModelSession } from '../model/session.js';
import type { Columns, InputFormat } from '../input/inputFormat.js';
import { checkInputs, checkSameShape, openInput, type InputShape, type OpenedInput } from '../input/inputCheck.js';
import { fileOffset, type Source } from '../input/sources.js';
import type { InputPart } from '../input/shardPlan.js';
import { BLOCK_BYTES, readLines } from '../input/sourceReader.js';
import type { BlockCutter } from '../input/blockCutter.js';
import type { RawRecord } from '../input/recordRules.js';
import { readDocumentText } from '../input/documentText.js';
import { loadFormatter, rowFormatter, type OutputFormat } from '../output/formatters.js';
import { OrderedWriter, newCounts as newWriterCounts, type FormattedBlock, type Numbering, type WriterCounts } from '../output/orderedWriter.js';
import type { Sink } from '../output/sinks.js';
import type { Sidecar } from '../output/sidecar.js';
import { makeRunPlan, planOf, type Scoring } from '../score/plan.js';
import { INLINE_BLOCKS, Scheduler } from '../score/scheduler.js';
import { withChallenger } from '../score/challenger.js';
import { recordsBatch } from '../score/processBatch.js';
import { WorkerPool } from '../score/workerPool.js';
import { blockEnd, type Block } from '../input/blocks.js';
import { isGzipPath } from '../formats/detect.js';
import { partsToRead, pointAfter, restoreRun, type PartToRead, type RunResume } from './resume/resumeRun.js';

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
  /** Before reading: what the run reads of its inputs (a resumed run: the rest), with the counts so far. */
  onRead?: (parts: PartToRead[], counts: RunCounts) => void;
  /** Called once the plan is made (e.g. to warn about left-out outputs). */
  onPlan?: (plan: FeaturePlan, outputs: OutputPlan) => void;
  /** Aborted on SIGINT/SIGTERM: reading stops and the run fails with the signal's reason (a RunError). */
  signal?: AbortSignal;
  /** Workers started early, for a large input (they load the model while the main thread does); closed at the end. */
  pool?: WorkerPool | null;
  /** What to read of each input (a shard's parts, see shardPlan.ts); default: every input whole. */
  parts?: InputPart[];
  /** Profiling and drift (README "Monitoring"): the blocks' partials are merged into it as they are written. */
  monitor?: RunMonitor | null;
  /** --challenger: its session in the main thread, and its bytes for the workers. */
  challenger?: { session: ModelSession; model: ModelBytes } | null;
  /** --resume: where the run starts, and who takes the points it reaches (see run/resume/). */
  resume?: RunResume | null;
}

export interface Progress {
  source: Source;
  scored: number;
  failed: number;
}

export interface RunCounts extends WriterCounts {
  /** The ForestFlow request's `configs`, when the input was one. */
  configs?: unknown;
  /** The output columns of each output (champion, then challenger), as written. */
  columnNames?: string[][];
}

/**
 * How many blocks may be in flight (being scored or waiting for the writer) before reading pauses.
 * Writing in order means a slow block holds up those behind it; with 4 both threads sat idle ~10% of a run,
 * 8 was 5–10% faster end to end (CSV and JSONL, alternating runs) for ~5 MB more.
 */
const MAX_QUEUED_BLOCKS = 8;
/**
 * Parquet row groups in flight beyond one per worker: a row group is the unit (≈ 60 bytes a row compressed and
 * decoded, more while its output is made), so memory is bounded by a few row groups whatever the file's size.
 */
const PARQUET_GROUPS_QUEUED = 1;

export function newCounts(): RunCounts {
  return newWriterCounts();
}

/** One run's parts, shared by the readers of its inputs. */
interface Run {
  s: RunSettings;
  outputs: OutputPlan;
  scheduler: Scheduler;
  writer: OrderedWriter;
  counts: RunCounts;
  /** The first input's shape and the scoring made from it: the plan, once made. */
  first: (InputShape & { scoring: Scoring }) | null;
  /** The part being read: its index among the run's parts (a checkpoint's `input`). */
  input: number;
}

/** The output columns: the kept ones and --ood's, the model's outputs and a challenger's after them. */
function writtenColumns(s: RunSettings, outputs: OutputPlan) {
  const { keep, monitor } = s.options;
  const written = withChallenger(outputs, s.session.info.file.classLabels, s.challenger?.session ?? null);
  return { keep: monitor.ood === null ? keep : [...keep, monitor.ood], ...written };
}

/** Runs the pipeline, keeping `counts` up to date as blocks are written (so a failed run still says how far it got). */
export async function runPipeline(s: RunSettings, counts: RunCounts): Promise<void> {
  const { options } = s;
  const outputs = planOutputs(s.session.info, options.outputs);
  const written = writtenColumns(s, outputs);
  const scheduler = new Scheduler({ options, session: s.session, model: s.model, written, challenger: s.challenger ?? null, pool: s.pool ?? null });
  const maxQueued = Math.max(MAX_QUEUED_BLOCKS, 2 * options.workers + 2);
  const writer = new OrderedWriter({ sink: s.sink, sidecar: s.sidecar, limits: options, maxQueued, counts, monitor: s.monitor });
  const run: Run = { s, outputs, scheduler, writer, counts, first: null, input: 0 };
  const start = s.resume?.start ?? null;
  if (start) restoreRun(start, s.resume!.listed, counts, writer, s.sidecar);
  try {
    // Several inputs: all are checked to agree before anything is written.
    let stdin = options.inputs.length > 1 ? await checkInputs(options, s.signal) : null;
    const toRead = await partsToRead(s.parts ?? options.inputs.map((name) => ({ name, range: null })), start, options);
    s.onRead?.(toRead, counts);
    for (const part of toRead) {
      checkAbort(s.signal);
      const { name, range } = part;
      const opened = name === '-' && stdin !== null ? stdin : await openInput(name, options, s.signal, range);
      if (name === '-') stdin = null;
      run.input = part.input;
      await readInput(run, opened, part);
    }
    await writer.drain();
    checkAbort(s.signal); // a source stopped by a signal may look like one that ended: its output must not be committed
    // An empty input still gets its header (and the JSON document its shell).
    if (!writer.isOpen) {
      const format = s.outputFormatFor(options.inputFormat ?? 'csv');
      await loadFormatter(format);
      writer.open(rowFormatter(format, { compression: options.compression, columns: null }), () => scheduler.outputLayout());
    }
    await writer.finish();
    counts.columnNames = scheduler.outputLayout().columnNames;
  } finally {
    writer.close();
    await scheduler.close();
  }
}

/** Reads one input to its end, everything it held written; a signal stops it at once. */
async function readInput(run: Run, opened: OpenedInput, part: PartToRead): Promise<void> {
  const { s } = run;
  const { source, format } = opened;
  // A signal stops reading at once, even while waiting for input that may never come.
  const stop = () => source.close();
  s.signal?.addEventListener('abort', stop);
  const timers: Array<{ stop(): void }> = [];
  try {
    await loadFormatter(s.outputFormatFor(format.name));
    if (format.document) await readDocument(run, opened);
    else if (format.name === 'parquet') await readParquet(run, opened);
    else await readRecords(run, opened, part, timers);
    await run.writer.drain();
    s.onProgress?.({ source, scored: run.counts.scored, failed: run.counts.failed });
  } catch (err) {
    checkAbort(s.signal); // a source closed by a signal may end with an error of its own: the signal is the reason
    throw err;
  } finally {
    for (const t of timers) t.stop();
    s.signal?.removeEventListener('abort', stop);
    source.close();
  }
}

/** Hands a block to the scheduler and its result to the writer (nothing once the run has ended). */
function submit(run: Run, source: Source, block: Block, numbering: Numbering | null = null): void {
  if (run.writer.isClosed) return; // a late flush timer
  const { s, counts, writer, input } = run;
  const progress = () => s.onProgress?.({ source, scored: counts.scored, failed: counts.failed });
  // A block of bytes ends at a place where a resumed run can start reading again. Taken now: a block scored by a
  // worker has its bytes transferred, and keeps an empty buffer.
  const bytes = 'bytes' in block;
  const end = s.resume && bytes ? blockEnd(block) : null;
  const reached = (): void => {
    progress();
    if (end !== null && numbering && writer.atPoint) s.resume!.reached(pointAfter(input, source, end, numbering, counts, writer, s.sidecar), writer.listedFailures);
  };
  // A gzip output's member ends where a point can fall, with --resume or not (the same bytes either way).
  const written = bytes && s.sink.endMember ? async () => (await s.sink.endMember!(), reached()) : reached;
  const scored = run.scheduler.schedule(block);
  // Offsets count in the bytes read; a shard's part of a file maps them back to the file's (sources.ts).
  const placed = source.range === null ? scored : async (): Promise<FormattedBlock> => {
    const done = await scored();
    for (const batch of done.batches) for (const e of batch.errors) if (e.offset !== null) e.offset = fileOffset(source, e.offset);
    return done;
  };
  writer.submit(placed, numbering, written);
}

/** Makes the plan from the first source's columns (once), or checks a later source against it. */
function useColumns(run: Run, source: Source, format: InputFormat, columns: Columns): Scoring {
  if (run.first !== null) {
    checkSameShape(run.first, source.name, format, columns);
    return run.first.scoring;
  }
  const { s } = run;
  const features = planOf(columns, s.options, s.session);
  const monitor: MonitorSetup | null = s.monitor?.setup(features, run.outputs.specs, s.session.info.file.classLabels) ?? null;
  const plan = makeRunPlan(format.name, columns, s.outputFormatFor(format.name), s.options, monitor);
  const scoring = run.scheduler.start(plan);
  run.first = { source: source.name, format, columns, scoring };
  run.writer.open(scoring.formatter, () => run.scheduler.outputLayout());
  s.onPlan?.(scoring.features, run.outputs);
  return scoring;
}

/** Waits while the writer has too many blocks queued (or `limit`); stops at a signal or a failure. */
async function room(run: Run, limit?: number): Promise<void> {
  checkAbort(run.s.signal);
  await run.writer.room(limit);
}

/**
 * Parquet: row group by row group, from the file (standard input is spooled to one first): as stored, for workers,
 * when every column read is one the fast path decodes; else decoded by hyparquet's general reader here.
 */
async function readParquet(run: Run, opened: OpenedInput): Promise<void> {
  const { source } = opened;
  const [{ checkNested, denseReadable, parquetGroups, parquetUnits }, { openParquetInput }] = await parquetReader();
  const parquet = await openParquetInput(opened);
  try {
    const { ctx } = useColumns(run, source, opened.format, parquet.columns);
    checkNested(parquet, ctx.plan);
    if (denseReadable(parquet, ctx.plan)) {
      for await (const rowGroup of parquetUnits(parquet, ctx.plan, () => room(run, PARQUET_GROUPS_QUEUED + run.s.options.workers))) {
        submit(run, source, { source: source.name, rowGroup });
      }
      return;
    }
    for await (const decoded of parquetGroups(parquet, ctx.plan, run.s.options.batchSize)) {
      await room(run);
      submit(run, source, { source: source.name, decoded });
    }
  } finally {
    await parquet.close();
  }
}

/** The Parquet reader's modules, loaded when a Parquet input is read (a run without one never loads them). */
function parquetReader() {
  return Promise.all([import('../input/parquetInput.js'), import('../input/parquetSource.js')]);
}

/** A whole JSON document: its records, read at once, scored in batches of --batch-size (in the main thread). */
async function readDocument(run: Run, opened: OpenedInput): Promise<void> {
  const { source, format } = opened;
  const text = await readDocumentText(source.name, opened.firstPiece, opened.pieces);
  const doc = format.document!(text, source.name);
  if (doc.configs !== undefined) run.counts.configs = doc.configs;
  const columns = knownColumns(run) ?? (doc.columns ? { names: doc.columns, header: false } : null) ?? columnsOf(run, format, doc.records, source.name, true);
  if (columns === null) return;
  const { ctx } = useColumns(run, source, format, columns);
  const size = run.s.options.batchSize;
  for (let i = 0; i < doc.records.length; i += size) submit(run, source, { source: source.name, rows: recordsBatch(source.name, doc.records.slice(i, i + size), ctx) });
}

/** CSV, TSV, JSONL: in blocks of bytes (see sourceReader.ts). */
async function readRecords(run: Run, opened: OpenedInput, part: PartToRead, timers: Array<{ stop(): void }>): Promise<void> {
  const { source, format } = opened;
  let columns = knownColumns(run);
  // Parquet row groups and gzip members end at block ends: blocks are cut by size alone (never by the time input
  // took to come), so that every run of a file, resumed or not, cuts them at the same records.
  const flushMs = run.s.outputFormatFor(format.name) === 'parquet' || isGzipPath(run.s.options.targets.output.shown) ? 0 : run.s.options.flushMs;
  await readLines(source.name, format, opened.pieces, opened.firstPiece, { ...run.s.options, flushMs }, {
    columns: (records, atEnd) => {
      if (columns !== null || records.length === 0) return columns;
      columns = columnsOf(run, format, records, source.name, atEnd);
      if (columns !== null) useColumns(run, source, format, columns);
      return columns;
    },
    block: (block, at) => submit(run, source, block, at),
    room: () => room(run),
  }, (cutter: BlockCutter) => timers.push(cutter), { skipFirst: (source.range?.head ?? 0) > 0, from: part.from });
  checkAbort(run.s.signal);
}

/** Later sources without a header (JSON, --no-header) take the first source's columns. */
function knownColumns(run: Run): Columns | null {
  return run.first !== null && !run.first.columns.header ? run.first.columns : null;
}

/**
 * The columns the first records name; at the end of the source, when none could (no record parsed), positional
 * names, against which they all fail as they are.
 */
function columnsOf(run: Run, format: InputFormat, records: RawRecord[], source: string, atEnd: boolean): Columns | null {
  const columns = format.columns(records, source);
  if (columns !== null || !atEnd || records.length === 0) return columns;
  const width = run.s.session.info.inputs[0]?.shape[1];
  return { names: Array.from({ length: typeof width === 'number' && width > 0 ? width : 1 }, (_, i) => String(i + 1)), header: false };
}

function checkAbort(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason;
}

/**
 * Workers started before the run, so they load the model while the main thread loads its own: when the input is
 * known to be larger than the blocks scored inline, and is scored by workers at all (a JSON document is scored in
 * the main thread, and so is Parquet output gathered from another format). Otherwise the scheduler starts them once
 * that much input has come (standard input).
 */
export function earlyWorkers(options: Options, model: ModelBytes, challenger: ModelBytes | null = null): WorkerPool | null {
  const parquet = (name: string) => options.inputFormat === 'parquet' || /\.parquet$/i.test(name);
  const parquetOut = options.outputFormat === 'parquet' || /\.parquet$/i.test(options.output ?? '');
  if (options.workers === 0) return null;
  let bytes = 0;
  for (const input of options.inputs) {
    if (input === '-' || /\.json(\.gz)?$/i.test(input) || (parquetOut && !parquet(input))) return null;
    try {
      bytes += statSync(input).size;
    } catch {
      return null; // reported when the input is opened
    }
  }
  return bytes > INLINE_BLOCKS * BLOCK_BYTES ? new WorkerPool(options.workers, options, model, challenger) : null;
}
