/**
 * The challenger's predictions (--challenger) laid out by record: its model calls cut the records into other pieces
 * than the main model's, so each output is gathered into one array over the batch's records, and each main piece
 * gets a view of it that its rows index like their own outputs (`at` counts from the piece's start).
 */
import { RunError } from '../errors.js';
import type { Options } from '../options.js';
import { planFeatures, type FeaturePlan } from '../model/featurePlan.js';
import { declaredRecordShape, planOutputs, type OutputPlan } from '../model/outputPlan.js';
import type { ModelSession } from '../model/session.js';
import type { OutputValues } from '../output/formatters.js';
import type { InputFeed } from '../model/featurePlan.js';
import type { ScoreResult, ScoreSettings } from './scorer.js';

/** A second model (--challenger) scoring the same feeds; its outputs follow the main model's in every row. */
export interface Challenger {
  session: ModelSession;
  /** The challenger's own plan of the same columns (its input names and shapes). */
  feeds: InputFeed[];
  score: ScoreSettings;
  /** Its outputs' declared per-record shapes (for a batch it scores none of). */
  recordShapes: number[][];
}

export interface ChallengerRows {
  /** Record `slot` as the challenger scored it; null when the challenger failed on it. */
  row(slot: number): { scored: OutputValues[]; at: number } | null;
  /** The challenger's outputs for the rows of the main piece `piece` starting at record `start`. */
  outputs(piece: number, start: number): OutputValues[];
  recordShapes: number[][];
}

/** `declared`: the challenger's per-record output shapes, for a batch it scored none of. */
export function challengerRows(result: ScoreResult, valid: number, declared: number[][]): ChallengerRows {
  const first = result.pieces[0]?.outputs;
  const recordShapes = first ? first.map((o) => o.recordShape) : declared;
  const sizes = recordShapes.map((sh) => sh.reduce((a, b) => a * b, 1));
  const whole: OutputValues[] = sizes.map((size, k) => ({ data: gathered(result, k, size, valid), size }));
  const views = new Map<number, OutputValues[]>();
  return {
    row: (slot) => (result.failed.has(slot) ? null : { scored: whole, at: slot }),
    outputs(piece, start) {
      let v = views.get(piece);
      if (!v) views.set(piece, (v = whole.map((o) => ({ data: from(o.data, start * o.size), size: o.size }))));
      return v;
    },
    recordShapes,
  };
}

/**
 * Output k of every piece in record order. A record the challenger failed on keeps NaN (floats), '' (strings) or
 * 0 (integers and bools): its champion prediction stands, and the summary counts it as not compared.
 */
function gathered(result: ScoreResult, k: number, size: number, valid: number): ArrayLike<unknown> {
  const sample = result.pieces[0]?.outputs[k].data;
  let out: { [i: number]: unknown; length: number };
  if (sample === undefined || Array.isArray(sample)) out = new Array<unknown>(valid * size).fill(sample === undefined ? NaN : '');
  else {
    const Typed = (sample as unknown as { constructor: new (n: number) => { [i: number]: unknown; length: number; fill(v: unknown): void } }).constructor;
    const typed = new Typed(valid * size);
    if (sample instanceof Float32Array || sample instanceof Float64Array) typed.fill(NaN);
    out = typed;
  }
  for (const p of result.pieces) {
    const data = p.outputs[k].data;
    for (let i = 0; i < (p.end - p.start) * size; i++) out[p.start * size + i] = data[i];
  }
  return out;
}

/** The values from `offset` on: a view of a typed array, a copy of a plain one. */
function from(data: ArrayLike<unknown>, offset: number): ArrayLike<unknown> {
  if (Array.isArray(data)) return data.slice(offset);
  return (data as unknown as { subarray(start: number): ArrayLike<unknown> }).subarray(offset);
}

/**
 * The challenger's plan: the same mapping rules on the same columns. Both models must then read the same columns
 * with the same element types, so the feeds the unit fills once serve both; anything else is a MAPPING error.
 */
export function planChallenger(columns: string[], main: FeaturePlan, session: ModelSession, options: Options): Challenger {
  const plan = planFeatures(columns, session.info, { features: options.features, keep: options.keep, ignore: options.ignore });
  const describe = (p: FeaturePlan) => p.feeds.map((f) => `${f.type}[${f.columns.map((c) => columns[c]).join(',')}]`).join(' ');
  const same = plan.feeds.length === main.feeds.length &&
    plan.feeds.every((f, k) => f.type === main.feeds[k].type && f.fromArray === main.feeds[k].fromArray && f.columns.join() === main.feeds[k].columns.join());
  if (!same) {
    throw new RunError('MAPPING', `--challenger ${options.monitor.challenger} must read the same columns as the model, with the same types: the model reads ${describe(main)}, the challenger ${describe(plan)}`);
  }
  const outputs = planOutputs(session.info, null);
  return {
    session,
    feeds: plan.feeds,
    score: { outputNames: outputs.names, fixedBatch: plan.fixedBatch, retries: options.retries, retryDelayMs: options.retryDelayMs },
    recordShapes: outputs.specs.map((s) => declaredRecordShape(s) ?? [1]),
  };
}

/** The champion's outputs followed by the challenger's, named `challenger_<name>`, for the output layout. */
export function withChallenger(main: OutputPlan, labels: Record<string, string[]>, challenger: ModelSession | null): { outputs: OutputPlan; labels: Record<string, string[]> } {
  if (!challenger) return { outputs: main, labels };
  const theirs = planOutputs(challenger.info, null);
  const renamed = theirs.specs.map((s) => ({ ...s, name: `challenger_${s.name}` }));
  const theirLabels = Object.fromEntries(Object.entries(challenger.info.file.classLabels).map(([k, v]) => [`challenger_${k}`, v]));
  return {
    outputs: { specs: [...main.specs, ...renamed], names: [...main.names, ...renamed.map((s) => s.name)], skipped: main.skipped },
    labels: { ...labels, ...theirLabels },
  };
}
