/**
 * Wires one run: sources → splitter → chunker → processChunk → formatter → sink, plus the sidecar.
 * Chunks are processed and written strictly in input order through one queue; reading pauses while too many
 * chunks wait (backpressure from a slow output). The only place where streams meet the pure stages.
 */
import { RunError } from '../errors.js';
import type { Options, RecordFormat } from '../options.js';
import { planFeatures, type FeaturePlan } from '../model/featurePlan.js';
import { declaredRecordShape, outputColumnNames, planOutputs, type OutputPlan } from '../model/outputPlan.js';
import type { ModelSession } from '../model/session.js';
import { sourceFormat, type Columns, type InputFormat } from '../formats/inputFormat.js';
import type { OutputLayout, RowFormatter } from '../formats/output.js';
import { openSource, type Source } from '../io/sources.js';
import type { Sink } from '../io/sinks.js';
import type { Sidecar } from '../report/sidecar.js';
import { cellWriter } from './cells.js';
import { Chunker } from './chunker.js';
import { processChunk, type Chunk, type ChunkContext, type ChunkResult } from './processChunk.js';
import type { RawRecord } from './recordSplitter.js';

export interface RunSettings {
  options: Options;
  session: ModelSession;
  /** The output formatter, chosen once the first input's format is known. */
  formatterFor(input: RecordFormat): RowFormatter;
  sink: Sink;
  sidecar: Sidecar;
  onProgress?: (p: Progress) => void;
  /** Called once the plan is made (e.g. to warn about left-out outputs). */
  onPlan?: (plan: FeaturePlan, outputs: OutputPlan) => void;
  /** Aborted on SIGINT/SIGTERM: reading stops and the run fails with the signal's reason (a RunError). */
  signal?: AbortSignal;
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
}

interface FirstSource {
  source: string;
  format: InputFormat;
  columns: Columns;
}

/** How many chunks may wait for the writer before reading pauses. */
const MAX_QUEUED_CHUNKS = 4;

export function newCounts(): RunCounts {
  return { scored: 0, failed: 0, written: 0, modelCalls: 0 };
}

/** Runs the pipeline, keeping `counts` up to date as chunks are written (so a failed run still says how far it got). */
export async function runPipeline(s: RunSettings, counts: RunCounts): Promise<void> {
  const { options } = s;
  const outputs = planOutputs(s.session.info, options.outputs);
  let first: FirstSource | null = null;
  let ctx: ChunkContext | null = null;
  let formatter: RowFormatter | null = null;
  let layout: OutputLayout | null = null;
  let nextIndex = 0;
  const jsonErrors: Array<[number, string]> = [];

  // The ordered queue: each chunk is processed and written after the one before it.
  let tail: Promise<void> = Promise.resolve();
  let queued = 0;
  let failure: unknown;
  let wake: (() => void) | null = null;

  const writeResult = async (result: ChunkResult): Promise<void> => {
    layout ??= makeLayout(options.keep, outputs, result.recordShapes, s.session.info.file.classLabels);
    if (counts.written === 0) await s.sink.write(formatter!.head(layout));
    const text = formatter!.rows(result.rows, layout, counts.written === 0);
    if (text) await s.sink.write(text);
    counts.written += result.rows.length;
    await s.sidecar.add(result.errors);
    counts.scored += result.scored;
    counts.failed += result.errors.length;
    counts.modelCalls += result.calls;
    for (const row of result.rows) if (row.error) jsonErrors.push([row.index, row.error.message]);
    checkThresholds(counts, options);
  };

  const submit = (source: Source, records: RawRecord[]): void => {
    const chunk: Chunk = { source: source.name, records, firstIndex: nextIndex };
    nextIndex += records.length;
    queued++;
    const context = ctx!;
    tail = tail.then(async () => {
      if (failure !== undefined) return;
      try {
        await writeResult(await processChunk(chunk, context));
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
      const plan = planFeatures(columns.names, s.session.info, { features: options.features, keep: options.keep });
      ctx = makeContext(plan, outputs, format, options, s.session);
      formatter = s.formatterFor(format.name);
      s.onPlan?.(plan, outputs);
      return;
    }
    if (format.name !== first.format.name) {
      throw new RunError('INPUT', `${source.name} is ${format.name} but ${first.source} is ${first.format.name}; inputs scored together must share one format`);
    }
    if (columns.header && columns.names.join('\u0000') !== first.columns.names.join('\u0000')) {
      throw new RunError('INPUT', `the header of ${source.name} differs from the header of ${first.source}; inputs scored together must share one header`);
    }
  };

  for (const name of options.inputs) {
    checkAbort();
    const source = await openSource(name);
    // A signal stops reading at once, even while waiting for input that may never come.
    const stop = () => source.close();
    s.signal?.addEventListener('abort', stop);
    try {
      const pieces = source.text[Symbol.asyncIterator]();
      const head = await pieces.next();
      const firstText = head.done ? '' : head.value;
      const format = sourceFormat(name, firstText, options);
      const chunker = new Chunker(options.batchSize, options.flushMs, (records) => submit(source, records));
      // Later sources without a header (JSON, --no-header) take the first source's columns.
      const known = first as FirstSource | null;
      let columns: Columns | null = known !== null && !known.columns.header ? known.columns : null;
      let held: RawRecord[] = [];
      const take = (records: RawRecord[]): void => {
        if (columns === null) {
          held.push(...records);
          columns = format.columns(held, source.name);
          if (columns === null) return;
          useColumns(source, format, columns);
          records = held;
          held = [];
          if (columns.header) records.shift();
        }
        if (columns.header) for (const r of records) r.row--; // the header is not a record
        if (records.length) chunker.add(records);
      };
      if (format.document) {
        let text = firstText;
        for (let r = await pieces.next(); !r.done; r = await pieces.next()) text += r.value;
        const doc = format.document(text, source.name);
        if (doc.configs !== undefined) counts.configs = doc.configs;
        if (doc.columns) columns = { names: doc.columns, header: false };
        if (columns) useColumns(source, format, columns);
        take(doc.records);
      } else {
        const splitter = format.splitter();
        for (let text: string | undefined = firstText; text !== undefined; ) {
          checkAbort();
          checkFailure();
          take(splitter.push(text));
          while (queued >= MAX_QUEUED_CHUNKS && failure === undefined) await new Promise<void>((r) => (wake = r));
          const r = await pieces.next();
          text = r.done ? undefined : r.value;
        }
        checkAbort();
        take(splitter.end());
      }
      if (columns === null && held.length > 0) {
        // No record could name the columns (none parsed): they all fail as they are, against positional names.
        const width = s.session.info.inputs[0]?.shape[1];
        columns = { names: Array.from({ length: typeof width === 'number' && width > 0 ? width : 1 }, (_, i) => String(i + 1)), header: false };
        useColumns(source, format, columns);
        chunker.add(held);
      }
      chunker.flush();
      await tail;
      checkFailure();
      s.onProgress?.({ source, scored: counts.scored, failed: counts.failed });
    } catch (err) {
      checkAbort(); // a source closed by a signal may end with an error of its own: the signal is the reason
      throw err;
    } finally {
      s.signal?.removeEventListener('abort', stop);
      source.close();
    }
  }

  await tail;
  checkFailure();
  formatter ??= s.formatterFor(options.inputFormat ?? 'csv');
  // An empty input still gets its header (and the JSON document its shell).
  if (counts.written === 0) {
    layout ??= makeLayout(options.keep, outputs, null, s.session.info.file.classLabels);
    await s.sink.write(formatter.head(layout));
  }
  await s.sink.write(formatter.tail(jsonErrors));

  function checkFailure(): void {
    if (failure !== undefined) throw failure;
  }

  function checkAbort(): void {
    if (s.signal?.aborted) throw s.signal.reason;
  }
}

/** --max-errors and --max-error-rate: exceeding either stops the run (exit 4). */
function checkThresholds(counts: RunCounts, options: Options): void {
  const read = counts.scored + counts.failed;
  const where = `after ${read} records (${counts.failed} failed)`;
  if (options.maxErrors !== null && counts.failed > options.maxErrors) {
    throw new RunError('THRESHOLD', `more than --max-errors ${options.maxErrors} records failed; stopped ${where}`);
  }
  if (options.maxErrorRate !== null && read >= options.batchSize && counts.failed / read > options.maxErrorRate) {
    throw new RunError('THRESHOLD', `more than --max-error-rate ${options.maxErrorRate} of the records failed; stopped ${where}`);
  }
}

export function makeContext(plan: FeaturePlan, outputs: OutputPlan, format: InputFormat, options: Options, session: ModelSession): ChunkContext {
  return {
    parse: format.parser(plan.columns),
    plan,
    writers: plan.feeds.map((f) => cellWriter(f.type, options.missing)),
    session,
    score: { outputNames: outputs.names, fixedBatch: plan.fixedBatch, retries: options.retries, retryDelayMs: options.retryDelayMs },
    onError: options.onError,
  };
}

/** Output columns, from the shapes the runtime returned or, before any record is scored, the declared ones. */
export function makeLayout(keepNames: string[], outputs: OutputPlan, seen: number[][] | null, labels: Record<string, string[]>): OutputLayout {
  const shapes = outputs.specs.map((spec, k) => seen?.[k] ?? declaredRecordShape(spec) ?? []);
  return {
    keepNames,
    outputNames: outputs.names,
    outputTypes: outputs.specs.map((o) => o.type),
    sizes: shapes.map((sh) => sh.reduce((a, b) => a * b, 1)),
    columnNames: outputs.specs.map((spec, k) => outputColumnNames(spec.name, shapes[k], labels[spec.name])),
    isArray: shapes.map((sh) => !(sh.length === 0 || (sh.length === 1 && sh[0] === 1))),
  };
}
