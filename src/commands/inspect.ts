/**
 * `batch-score inspect`: what the model declares, and — given an input — the mapping a run would apply to it,
 * plus the first problems a run would meet, found by scoring a sample of its records.
 */
import { RunError, oneLine } from '../errors.js';
import type { Options } from '../options.js';
import { planFeatures, type FeaturePlan } from '../model/featurePlan.js';
import { planOutputs } from '../model/outputPlan.js';
import { describeSpec, type ModelSession } from '../model/session.js';
import type { InputFormat } from '../input/inputFormat.js';
import { openInput, type OpenedInput } from '../input/inputCheck.js';
import { processBatch, recordsBatch, type ScoringContext, type BatchResult } from '../score/processBatch.js';
import { scoreParquetBatch } from '../score/processRowGroup.js';
import { recordsOf } from '../input/sourceReader.js';
import { readDocumentText } from '../input/documentText.js';
import type { RawRecord } from '../input/recordRules.js';
import { makeContext, makeLayout } from '../score/context.js';
import type { SidecarEntry } from '../output/sidecar.js';

/** Records scored to find the first problems of an input. */
const SAMPLE_RECORDS = 1000;

export interface InspectReport {
  model: {
    path: string;
    sha256: string;
    irVersion: number;
    producer: string;
    opsets: Array<{ domain: string; version: number }>;
    metadata: Record<string, string>;
    operators: Record<string, number>;
    inputs: Array<{ name: string; type: string; shape: Array<number | string> }>;
    outputs: Array<{ name: string; type: string; shape: Array<number | string> }>;
    nonTensorOutputs: string[];
    classLabels: Record<string, string[]>;
  };
  mapping?: {
    input: string;
    format: string;
    columns: string[];
    /** Parquet: each column's type, as the schema says. */
    types?: string[];
    rule: string | null;
    feeds: Array<{ input: string; type: string; shape: Array<number | string>; columns: string[]; fromArray: boolean }>;
    keep: string[];
    outputColumns: string[];
    fixedBatch: number | null;
    /** Run errors a run would stop with (mapping, header). */
    problems: string[];
    /** Records of the sample scored, and failed (sampled = scored + failed). */
    sampled: number;
    scored: number;
    failed: number;
    /** The first record errors in the sample. */
    recordErrors: SidecarEntry[];
  };
}

export async function inspectModel(session: ModelSession, options: Options, input: string | null): Promise<InspectReport> {
  const info = session.info;
  const shape = (s: { shape: ReadonlyArray<number | string> }) => [...s.shape];
  const report: InspectReport = {
    model: {
      path: info.path,
      sha256: info.sha256,
      irVersion: info.file.irVersion,
      producer: info.file.producer,
      opsets: info.file.opsets,
      metadata: info.file.metadata,
      operators: info.file.operators,
      inputs: info.inputs.map((s) => ({ name: s.name, type: s.type, shape: shape(s) })),
      outputs: info.outputs.map((s) => ({ name: s.name, type: s.type, shape: shape(s) })),
      nonTensorOutputs: info.nonTensorOutputs,
      classLabels: info.file.classLabels,
    },
  };
  if (input !== null) report.mapping = await inspectInput(session, options, input);
  return report;
}

async function inspectInput(session: ModelSession, options: Options, input: string): Promise<NonNullable<InspectReport['mapping']>> {
  const opened = await openInput(input, options);
  if (opened.format.name === 'parquet') return inspectParquet(session, options, opened);
  const { source, format } = opened;
  const records = format.document ? await documentSample(opened) : await recordSample(opened, options.maxRecordBytes);
  source.close();

  const mapping = emptyMapping(input, format.name, options);
  const columns = format.columns(records, input);
  if (!columns) {
    mapping.problems.push('no record in the sample names the columns');
    return mapping;
  }
  if (columns.header) {
    records.shift();
    for (const r of records) r.row--;
  }
  const sample = records.slice(0, SAMPLE_RECORDS);
  return mapInput(session, options, mapping, columns.names, format, (ctx) => processBatch(recordsBatch(input, sample, ctx), ctx));
}

type Mapping = NonNullable<InspectReport['mapping']>;

function emptyMapping(input: string, format: string, options: Options): Mapping {
  return { input, format, columns: [], rule: null, feeds: [], keep: options.keep, outputColumns: [], fixedBatch: null, problems: [], sampled: 0, scored: 0, failed: 0, recordErrors: [] };
}

/** The schema (each column's type), the mapping, and a sample of the first row group's rows scored. */
async function inspectParquet(session: ModelSession, options: Options, opened: OpenedInput): Promise<Mapping> {
  const [{ checkNested, describeField, parquetBatches }, { openParquetInput }] = await Promise.all([import('../input/parquetInput.js'), import('../input/parquetSource.js')]);
  const parquet = await openParquetInput(opened);
  try {
    const mapping = emptyMapping(opened.source.name, 'parquet', options);
    mapping.types = parquet.fields.map(describeField);
    return await mapInput(session, options, mapping, parquet.columns.names, opened.format, async (ctx) => {
      checkNested(parquet, ctx.plan);
      const first = await parquetBatches(parquet, ctx.plan, SAMPLE_RECORDS).next();
      return first.done ? null : scoreParquetBatch(first.value, ctx, undefined);
    });
  } catch (err) {
    if (!(err instanceof RunError) || err.code !== 'MAPPING') throw err;
    const mapping = emptyMapping(opened.source.name, 'parquet', options);
    mapping.problems.push(oneLine(err));
    return mapping;
  } finally {
    await parquet.close();
  }
}

/** The plan for these columns, and the first problems met scoring a sample (`score`: null when there are no records). */
async function mapInput(session: ModelSession, options: Options, mapping: Mapping, names: string[], format: InputFormat, score: (ctx: ScoringContext) => Promise<BatchResult | null>): Promise<Mapping> {
  const columns = { names };
  mapping.columns = names;
  let plan: FeaturePlan;
  try {
    plan = planFeatures(columns.names, session.info, { features: options.features, keep: options.keep, ignore: options.ignore });
  } catch (err) {
    mapping.problems.push(oneLine(err));
    return mapping;
  }
  mapping.rule = plan.rule;
  mapping.fixedBatch = plan.fixedBatch;
  mapping.feeds = plan.feeds.map((f) => ({ input: f.spec.name, type: f.type, shape: [...f.spec.shape], columns: f.columns.map((c) => columns.names[c]), fromArray: f.fromArray }));
  let outputs;
  try {
    outputs = planOutputs(session.info, options.outputs);
  } catch (err) {
    if (!(err instanceof RunError)) throw err;
    mapping.problems.push(oneLine(err));
    return mapping;
  }
  const result = await score(makeContext(plan, outputs, format, options, session));
  const layout = makeLayout(options.keep, outputs, result?.recordShapes ?? null, session.info.file.classLabels);
  mapping.outputColumns = [...layout.keepNames, ...layout.columnNames.flat()];
  mapping.sampled = result?.records ?? 0;
  mapping.scored = result?.scored ?? 0;
  mapping.failed = result?.errors.length ?? 0;
  mapping.recordErrors = result?.errors.slice(0, 5) ?? [];
  return mapping;
}

/** A JSON document's first records (it is read whole, as a run reads it). */
async function documentSample(opened: OpenedInput): Promise<RawRecord[]> {
  const text = await readDocumentText(opened.source.name, opened.firstPiece, opened.pieces);
  return opened.format.document!(text, opened.source.name).records.slice(0, SAMPLE_RECORDS + 1);
}

/** The first records of a CSV, TSV or JSONL input, by the run's record rules (a header among them). */
async function recordSample(opened: OpenedInput, maxRecordBytes: number): Promise<RawRecord[]> {
  const read = [opened.firstPiece];
  for (let r = await opened.pieces.next(); !r.done; r = await opened.pieces.next()) {
    read.push(r.value);
    const records = recordsOf(read, opened.format, maxRecordBytes, false);
    if (records.length > SAMPLE_RECORDS) return records.slice(0, SAMPLE_RECORDS + 1);
  }
  return recordsOf(read, opened.format, maxRecordBytes).slice(0, SAMPLE_RECORDS + 1);
}

export function renderInspect(r: InspectReport): string {
  const m = r.model;
  const lines = [
    `model     ${m.path}`,
    `sha256    ${m.sha256}`,
    `producer  ${m.producer || '(none)'}   IR version ${m.irVersion}   opsets ${m.opsets.map((o) => `${o.domain} ${o.version}`).join(', ')}`,
    `operators ${Object.entries(m.operators).map(([op, n]) => (n > 1 ? `${op}×${n}` : op)).join(', ')}`,
    'inputs',
    ...m.inputs.map((s) => `  ${describeSpec(s)}`),
    'outputs',
    ...m.outputs.map((s) => `  ${describeSpec(s)}${m.classLabels[s.name] ? `  labels: ${m.classLabels[s.name].join(', ')}` : ''}`),
    ...m.nonTensorOutputs.map((n) => `  ${n} (not a tensor: left out; export with ZipMap disabled)`),
  ];
  const meta = Object.entries(m.metadata);
  if (meta.length) lines.push('metadata', ...meta.map(([k, v]) => `  ${k}: ${v}`));
  const map = r.mapping;
  if (map) {
    const columns = map.types ? map.columns.map((c, i) => `${c} ${map.types![i]}`) : map.columns;
    lines.push(`input     ${map.input} (${map.format}), columns: ${columns.join(', ') || '(none)'}`);
    if (map.rule) lines.push(`mapping   rule: ${map.rule}${map.fixedBatch !== null ? `, fixed batch of ${map.fixedBatch}` : ''}`);
    for (const f of map.feeds) lines.push(`  ${f.input} (${f.type}[${f.shape.join(',')}]) ← ${f.fromArray ? `array in ${f.columns[0]}` : f.columns.join(', ')}`);
    if (map.outputColumns.length) lines.push(`output columns: ${map.outputColumns.join(', ')}`);
    for (const p of map.problems) lines.push(`problem: ${p}`);
    if (map.rule) {
      lines.push(`sample    ${sampleLine(map)}`);
      for (const e of map.recordErrors) lines.push(`  row ${e.row}${e.line === null ? '' : ` (line ${e.line})`}: ${e.code} ${e.message}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** "1,000 records: 946 scored, 54 failed; the first 5:" — never "scored" for records that failed. */
function sampleLine(m: NonNullable<InspectReport['mapping']>): string {
  const n = (x: number) => x.toLocaleString('en-US');
  const records = m.sampled < SAMPLE_RECORDS ? `all ${n(m.sampled)} record${m.sampled === 1 ? '' : 's'}` : `the first ${n(m.sampled)} records`;
  if (m.failed === 0) return `${records}: all scored, no record errors`;
  const shown = m.recordErrors.length < m.failed ? `; the first ${m.recordErrors.length}:` : ':';
  return `${records}: ${n(m.scored)} scored, ${n(m.failed)} failed${shown}`;
}
