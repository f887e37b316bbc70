/**
 * The serve command's only door into the scoring engine (DESIGN.md "One engine, many front ends"): a plan per
 * record form, the run's record rules on a body's bytes, the unit function (processBatch) on a batch of records,
 * and the output layout and formatters.
 * Everything under src/serve/ reaches the engine through this module, so it can be re-pointed in one place.
 */
import type { Options } from '../options.js';
import { RunError } from '../errors.js';
import { planFeatures, type FeaturePlan } from '../model/featurePlan.js';
import { planOutputs, type OutputPlan } from '../model/outputPlan.js';
import { ModelSession, readModel, type ModelInfo } from '../model/session.js';
import { inputFormat, formatSettings, type InputFormat } from '../input/inputFormat.js';
import { rowFormatter, type OutputLayout, type OutputRow, type RowFormatter } from '../output/formatters.js';
import { recordValue, readJsonDocument, type JsonDocument } from '../input/jsonRecords.js';
import { jsonText } from '../formats/values.js';
import { makeContext, makeLayout } from '../score/context.js';
import { processBatch, recordsBatch, type ScoringContext, type BatchResult } from '../score/processBatch.js';
import { WorkerPool } from '../score/workerPool.js';
import { recordsOf } from '../input/sourceReader.js';
import type { RawRecord } from '../input/recordRules.js';
import type { RecordError } from '../errors.js';

export type { RawRecord, OutputRow, OutputLayout, BatchResult, RecordError, ModelInfo };

/** How a request's records are read: CSV/TSV text with a header, or JSON values (JSONL lines, documents, V2 rows). */
export type RecordForm = 'json' | 'csv' | 'tsv';

/** A plan for one record form and column list: made once, shared by every request with the same columns. */
export interface ServePlan {
  /** Requests whose plans have the same key are scored together. */
  key: string;
  form: RecordForm;
  columns: string[];
  /** Fed by model input name (V2 tensors), whatever --features says. */
  named: boolean;
  keepNames: string[];
  ctx: ScoringContext;
  /** The engine whose session this plan scores with (the main model or the shadow). */
  engine: Engine;
}

/** Plans kept for reuse; past this, a request's plan is made for it alone (a client inventing column names each time). */
const MAX_PLANS = 64;

export class Engine {
  readonly outputs: OutputPlan;
  private readonly plans = new Map<string, ServePlan>();
  private readonly formats = new Map<RecordForm, InputFormat>();

  private constructor(
    readonly session: ModelSession,
    private readonly options: Options,
    private readonly pool: WorkerPool | null,
  ) {
    this.outputs = planOutputs(session.info, options.outputs);
  }

  /**
   * Loads the model; a model that cannot be loaded is a MODEL run error (exit 2), as for a run. With `workers`
   * (--workers), batches are scored by the CLI's worker pool, off the thread that serves HTTP; the main thread's
   * own session still makes the plans (and scores while no worker is given).
   */
  static async load(modelPath: string, options: Options, workers = 0): Promise<Engine> {
    const model = await readModel(modelPath);
    const session = await ModelSession.fromBytes(model, options.threads);
    return new Engine(session, options, workers > 0 ? new WorkerPool(workers, options, model) : null);
  }

  get info(): ModelInfo {
    return this.session.info;
  }

  /** The format that splits and parses records of a form (CSV header rules, JSONL lines). */
  format(form: RecordForm): InputFormat {
    let format = this.formats.get(form);
    if (!format) {
      const settings = { ...formatSettings(this.options), delimiter: form === 'tsv' ? '\t' : ',', header: true };
      format = inputFormat(form === 'json' ? 'jsonl' : form, settings);
      this.formats.set(form, format);
    }
    return format;
  }

  /**
   * The plan for records of a form with these columns; a MAPPING/MODEL RunError when they cannot feed the model.
   * `named`: V2 tensors are fed by input name, whatever --features says.
   */
  plan(form: RecordForm, columns: string[], named = false): ServePlan {
    if (named) columns = this.info.inputs.map((i) => i.name);
    const key = `${named ? 'v2' : form}\u0001${columns.join('\u0000')}`;
    const known = this.plans.get(key);
    if (known) return known;
    const request = named ? { features: null, keep: [] } : { features: this.options.features, keep: this.options.keep };
    const features: FeaturePlan = planFeatures(columns, this.info, request);
    const ctx = makeContext(features, this.outputs, this.format(form), { ...this.options, onError: 'null' }, this.session);
    const plan: ServePlan = { key, form, columns, named, keepNames: request.keep, ctx, engine: this };
    if (this.plans.size < MAX_PLANS) this.plans.set(key, plan);
    return plan;
  }

  /** The columns a JSON request's records name, read as a JSONL file's are (its first object or array). */
  jsonColumns(records: RawRecord[]): string[] | null {
    // Positional arrays for a model with one input of fixed width: a short or long array then fails alone
    // (FEATURE_COUNT) instead of deciding the plan for the whole request. (The file rule would name the same
    // record's columns: no earlier record is an object.)
    const first = records.find((r) => r.value !== undefined && (Array.isArray(r.value) || typeof r.value === 'object'));
    if (Array.isArray(first?.value) && !this.options.features) {
      const positional = this.positionalColumns();
      if (positional) return positional;
    }
    return this.format('json').columns(records, 'the request')?.names ?? null;
  }

  private positional: string[] | null | undefined;
  /** "1".."width" for a model with one input of fixed width (made once: every one-record request asks). */
  private positionalColumns(): string[] | null {
    if (this.positional === undefined) {
      const width = this.fixedWidth();
      this.positional = width === null ? null : Object.freeze(Array.from({ length: width }, (_, i) => String(i + 1))) as string[];
    }
    return this.positional;
  }

  private fixedWidth(): number | null {
    if (this.info.inputs.length !== 1) return null;
    const shape = this.info.inputs[0].shape;
    if (shape.length === 1) return 1;
    const inner = shape.slice(1);
    return inner.every((d) => typeof d === 'number' && d > 0) ? (inner as number[]).reduce((a, b) => a * b, 1) : null;
  }

  /**
   * A text body's records, cut by the format's record rules (line ends, quotes, --max-record-bytes), and its
   * columns: a CSV header, or a JSONL body's first object or array. JSON lines are parsed here, once, so that
   * each can be routed by its value; a line that is not JSON fails alone (PARSE_ERROR).
   */
  textRecords(form: RecordForm, text: string): { records: RawRecord[]; columns: string[] | null } {
    const format = this.format(form);
    const records = recordsOf([Buffer.from(text)], format, this.options.maxRecordBytes);
    if (form === 'json') {
      for (const r of records) {
        if (r.tooLarge !== undefined) continue;
        const parsed = recordValue(r);
        if ('value' in parsed) r.value = parsed.value;
        else r.invalid = parsed.error;
      }
      return { records, columns: this.jsonColumns(records) };
    }
    const columns = format.columns(records, 'the request body');
    if (columns?.header) {
      records.shift();
      for (const r of records) r.row--;
    }
    return { records, columns: columns?.names ?? null };
  }

  /** Scores one batch of records with a plan: one output row per record, failures as record errors. */
  score(plan: ServePlan, records: RawRecord[]): Promise<BatchResult> {
    if (this.pool) return this.pool.score({ plan: { key: plan.key, form: plan.form, columns: plan.columns, named: plan.named }, records });
    return processBatch(recordsBatch('request', records, plan.ctx), plan.ctx);
  }

  /** Output columns for a response, from the shapes the runtime returned (or the declared ones). */
  layout(keepNames: string[], recordShapes: number[][] | null): OutputLayout {
    return makeLayout(keepNames, this.outputs, recordShapes, this.info.file.classLabels);
  }

  async release(): Promise<void> {
    await this.pool?.close();
    await this.session.release().catch(() => undefined);
  }
}

/**
 * A JSON request document (`inputs`, or a ForestFlow `schema` + `datum`); an INPUT RunError when it is neither.
 * The common `inputs` document is taken from one JSON.parse: a response names records by index, so the line
 * numbers and record texts a file's sidecar needs (which cost a third of a 1,000-record request, profiled) are
 * not made. Everything else is read by the CLI's document reader.
 */
export function jsonDocument(text: string): JsonDocument {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return readJsonDocument(text, 'the request body'); // its error names the parser's complaint
  }
  const inputs = (doc as { inputs?: unknown } | null)?.inputs;
  if (!Array.isArray(inputs)) return readJsonDocument(text, 'the request body');
  return { kind: 'inputs', columns: null, records: inputs.map((value, i) => ({ row: i + 1, line: 1, text: '', value })) };
}

/** JSON text of an output value of a model type (as in the CLI's JSON outputs: exact int64, NaN as null). */
export function valueJson(type: string): (v: unknown) => string {
  return jsonText(type);
}

export function formatter(format: 'csv' | 'tsv' | 'jsonl' | 'json'): RowFormatter {
  return rowFormatter(format);
}

/** A record that failed, by its code and message (as in the sidecar). */
export function recordErrors(result: BatchResult): Map<number, RecordError> {
  const errors = new Map<number, RecordError>();
  result.failed.forEach(([index, message], k) => errors.set(index, { code: result.errors[k].code as RecordError['code'], message }));
  return errors;
}

export function planError(err: unknown): RunError {
  return err instanceof RunError ? err : new RunError('INTERNAL', String(err));
}
