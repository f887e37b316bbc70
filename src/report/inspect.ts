/**
 * `batch-score inspect`: what the model declares, and — given an input — the mapping a run would apply to it,
 * plus the first problems a run would meet, found by scoring a sample of its records.
 */
import { RunError, oneLine } from '../errors.js';
import type { Options } from '../options.js';
import { planFeatures, type FeaturePlan } from '../model/featurePlan.js';
import { planOutputs } from '../model/outputPlan.js';
import { describeSpec, type ModelSession } from '../model/session.js';
import { sourceFormat } from '../formats/inputFormat.js';
import { openSource } from '../io/sources.js';
import { processChunk } from '../pipeline/processChunk.js';
import type { RawRecord } from '../pipeline/recordSplitter.js';
import { makeContext, makeLayout } from '../pipeline/context.js';
import type { SidecarEntry } from './sidecar.js';

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
  const source = await openSource(input);
  const pieces = source.text[Symbol.asyncIterator]();
  const head = await pieces.next();
  const firstText = head.done ? '' : head.value;
  const format = sourceFormat(input, firstText, options);
  let records: RawRecord[] = [];
  if (format.document) {
    let text = firstText;
    for (let r = await pieces.next(); !r.done; r = await pieces.next()) text += r.value;
    records = format.document(text, input).records.slice(0, SAMPLE_RECORDS + 1);
  } else {
    const splitter = format.splitter();
    for (let text: string | undefined = firstText; text !== undefined && records.length <= SAMPLE_RECORDS; ) {
      splitter.push(text, records);
      const r = await pieces.next();
      text = r.done ? undefined : r.value;
      if (text === undefined) splitter.end(records);
    }
  }
  source.close();

  const mapping: NonNullable<InspectReport['mapping']> = {
    input,
    format: format.name,
    columns: [],
    rule: null,
    feeds: [],
    keep: options.keep,
    outputColumns: [],
    fixedBatch: null,
    problems: [],
    sampled: 0,
    scored: 0,
    failed: 0,
    recordErrors: [],
  };
  const columns = format.columns(records, input);
  if (!columns) {
    mapping.problems.push('no record in the sample names the columns');
    return mapping;
  }
  if (columns.header) {
    records.shift();
    for (const r of records) r.row--;
  }
  mapping.columns = columns.names;
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
  const sample = records.slice(0, SAMPLE_RECORDS);
  const result = await processChunk({ source: input, records: sample }, makeContext(plan, outputs, format, options, session));
  const layout = makeLayout(options.keep, outputs, result.recordShapes, session.info.file.classLabels);
  mapping.outputColumns = [...layout.keepNames, ...layout.columnNames.flat()];
  mapping.sampled = sample.length;
  mapping.scored = result.scored;
  mapping.failed = result.errors.length;
  mapping.recordErrors = result.errors.slice(0, 5);
  return mapping;
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
    lines.push(`input     ${map.input} (${map.format}), columns: ${map.columns.join(', ') || '(none)'}`);
    if (map.rule) lines.push(`mapping   rule: ${map.rule}${map.fixedBatch !== null ? `, fixed batch of ${map.fixedBatch}` : ''}`);
    for (const f of map.feeds) lines.push(`  ${f.input} (${f.type}[${f.shape.join(',')}]) ← ${f.fromArray ? `array in ${f.columns[0]}` : f.columns.join(', ')}`);
    if (map.outputColumns.length) lines.push(`output columns: ${map.outputColumns.join(', ')}`);
    for (const p of map.problems) lines.push(`problem: ${p}`);
    if (map.rule) {
      lines.push(`sample    ${sampleLine(map)}`);
      for (const e of map.recordErrors) lines.push(`  row ${e.row} (line ${e.line}): ${e.code} ${e.message}`);
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
