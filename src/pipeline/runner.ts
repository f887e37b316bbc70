/**
 * Wires one run: sources → splitter → chunker → processChunk → formatter → sink, plus the sidecar.
 * Chunks are processed and written strictly in input order through one queue; reading pauses while too many
 * chunks wait (backpressure from a slow output). The only place where streams meet the pure stages.
 */
import { RunError } from '../errors.js';
import type { Options } from '../options.js';
import { planFeatures, type FeaturePlan } from '../model/featurePlan.js';
import { declaredRecordShape, outputColumnNames, planOutputs, type OutputPlan } from '../model/outputPlan.js';
import type { ModelSession } from '../model/session.js';
import type { InputFormat } from '../formats/inputFormat.js';
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
  inputFormat: InputFormat;
  formatter: RowFormatter;
  sink: Sink;
  sidecar: Sidecar;
  flushMs: number;
  onProgress?: (p: Progress) => void;
  /** Called once the first source is open and the plan is made (e.g. to report the mapping). */
  onPlan?: (plan: FeaturePlan, outputs: OutputPlan) => void;
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
}

/** How many chunks may wait for the writer before reading pauses. */
const MAX_QUEUED_CHUNKS = 4;

export async function runPipeline(s: RunSettings): Promise<RunCounts> {
  const { options } = s;
  const outputs = planOutputs(s.session.info, options.outputs);
  const counts: RunCounts = { scored: 0, failed: 0, written: 0 };
  let plan: FeaturePlan | null = null;
  let ctx: ChunkContext | null = null;
  let layout: OutputLayout | null = null;
  let nextIndex = 0;
  const jsonErrors: Array<[number, string]> = [];

  // The ordered queue: each chunk is processed and written after the one before it.
  let tail: Promise<void> = Promise.resolve();
  let queued = 0;
  let failure: unknown;
  let wake: (() => void) | null = null;

  const writeResult = async (result: ChunkResult): Promise<void> => {
    layout ??= makeLayout(options.keep, outputs, result.recordShapes);
    if (counts.written === 0) await s.sink.write(s.formatter.head(layout));
    const text = s.formatter.rows(result.rows, layout, counts.written === 0);
    if (text) await s.sink.write(text);
    counts.written += result.rows.length;
    await s.sidecar.add(result.errors);
    counts.scored += result.scored;
    counts.failed += result.errors.length;
    for (const row of result.rows) if (row.error) jsonErrors.push([row.index, row.error.message]);
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

  const checkFailure = (): void => {
    if (failure !== undefined) throw failure;
  };

  let firstColumns: { source: string; columns: string[] } | null = null;
  for (const name of options.inputs) {
    const source = await openSource(name);
    const splitter = s.inputFormat.splitter();
    const chunker = new Chunker(options.batchSize, s.flushMs, (records) => submit(source, records));
    let columns: string[] | null = null;

    const take = (records: RawRecord[]): void => {
      if (columns === null && records.length > 0) {
        const header = records.shift()!;
        columns = s.inputFormat.header(header, source.name);
        if (firstColumns === null) {
          firstColumns = { source: source.name, columns };
          plan = planFeatures(columns, s.session.info, { features: options.features, keep: options.keep });
          ctx = makeContext(plan, outputs, s);
          s.onPlan?.(plan, outputs);
        } else if (columns.join('\u0000') !== firstColumns.columns.join('\u0000')) {
          throw new RunError('INPUT', `the header of ${source.name} differs from the header of ${firstColumns.source}; inputs scored together must share one header`);
        }
        for (const r of records) r.row--; // the header is not a record
      } else if (columns !== null) {
        for (const r of records) r.row--;
      }
      if (records.length) chunker.add(records);
    };

    for await (const text of source.text) {
      checkFailure();
      take(splitter.push(text));
      while (queued >= MAX_QUEUED_CHUNKS && failure === undefined) await new Promise<void>((r) => (wake = r));
    }
    take(splitter.end());
    chunker.flush();
    await tail;
    checkFailure();
    s.onProgress?.({ source, scored: counts.scored, failed: counts.failed });
  }

  await tail;
  checkFailure();
  // An empty input still gets its header (and the JSON document its shell).
  if (counts.written === 0) {
    layout ??= makeLayout(options.keep, outputs, null);
    await s.sink.write(s.formatter.head(layout));
  }
  await s.sink.write(s.formatter.tail(jsonErrors));
  return counts;
}

function makeContext(plan: FeaturePlan, outputs: OutputPlan, s: RunSettings): ChunkContext {
  const { options } = s;
  return {
    parse: s.inputFormat.parser(plan.columns),
    plan,
    writers: plan.feeds.map((f) => cellWriter(f.type, options.missing)),
    session: s.session,
    score: { outputNames: outputs.names, fixedBatch: plan.fixedBatch, retries: 0, retryDelayMs: 0 },
    onError: options.onError,
  };
}

/** Output columns, from the shapes the runtime returned or, before any record is scored, the declared ones. */
function makeLayout(keepNames: string[], outputs: OutputPlan, seen: number[][] | null): OutputLayout {
  const shapes = outputs.specs.map((spec, k) => seen?.[k] ?? declaredRecordShape(spec) ?? []);
  return {
    keepNames,
    outputNames: outputs.names,
    outputTypes: outputs.specs.map((o) => o.type),
    sizes: shapes.map((sh) => sh.reduce((a, b) => a * b, 1)),
    columnNames: outputs.specs.map((spec, k) => outputColumnNames(spec.name, shapes[k])),
    isArray: shapes.map((sh) => !(sh.length === 0 || (sh.length === 1 && sh[0] === 1))),
  };
}
