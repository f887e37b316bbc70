/**
 * The run plan: what every thread that scores needs to know, made once from the first source's columns before
 * anything is scored, frozen, and sent as it is to the workers, which make their scoring context from it exactly
 * as the main thread does (so results are byte-identical whichever thread scores a block).
 */
import type { OnError, Options, RecordFormat } from '../options.js';
import { planFeatures, type FeaturePlan } from '../model/featurePlan.js';
import { planOutputs } from '../model/outputPlan.js';
import type { ModelSession } from '../model/session.js';
import { formatSettings, inputFormat, type Columns } from '../input/inputFormat.js';
import { rowFormatter, type OutputFormat, type RowFormatter } from '../output/formatters.js';
import type { MonitorSetup } from '../monitor/runMonitor.js';
import { makeContext } from './context.js';
import { planChallenger } from './challenger.js';
import type { ScoringContext } from './processBatch.js';

export interface RunPlan {
  readonly inputFormat: RecordFormat;
  readonly columns: Readonly<Columns>;
  readonly outputFormat: OutputFormat;
  /** A JSON document keeps every record's place (null for a failed one) even under --on-error skip. */
  readonly onError: OnError;
  /** Profiling, --ood and agreement, made by the main thread from the features (null: the run does not monitor). */
  readonly monitor: MonitorSetup | null;
}

export function makeRunPlan(inputFormat: RecordFormat, columns: Columns, outputFormat: OutputFormat, options: Options, monitor: MonitorSetup | null): RunPlan {
  // The JSON response keeps every record's place under --on-error skip too, so that an `errors` key is the index
  // of its record in `predictions` (and in the input).
  const onError = outputFormat === 'json' ? 'null' : options.onError;
  return Object.freeze({ inputFormat, columns: Object.freeze({ ...columns }), outputFormat, onError, monitor });
}

/** The features a plan's columns feed (the same in every thread). */
export function planOf(columns: Readonly<Columns>, options: Options, session: ModelSession): FeaturePlan {
  return planFeatures(columns.names, session.info, { features: options.features, keep: options.keep, ignore: options.ignore });
}

/** What scores and formats blocks under a plan, in the thread that calls it. */
export interface Scoring {
  features: FeaturePlan;
  ctx: ScoringContext;
  formatter: RowFormatter;
}

/** `challenger`: --challenger's session in this thread. */
export function scoringFor(plan: RunPlan, options: Options, session: ModelSession, challenger: ModelSession | null): Scoring {
  const features = planOf(plan.columns, options, session);
  const outputs = planOutputs(session.info, options.outputs);
  const format = inputFormat(plan.inputFormat, formatSettings(options));
  const monitoring = { monitor: plan.monitor, challenger: challenger ? planChallenger(plan.columns.names, features, challenger, options) : null };
  const ctx = makeContext(features, outputs, format, { ...options, onError: plan.onError }, session, monitoring);
  // Parquet input is scored a row group at a time: its Parquet output keeps the input's row groups. Records read in
  // blocks of bytes (where a resumed run can start again) make row groups that end at block ends.
  const groupPerCall = plan.inputFormat === 'parquet';
  const groupsAtBlockEnds = plan.inputFormat === 'csv' || plan.inputFormat === 'tsv' || plan.inputFormat === 'jsonl';
  const parquet = { compression: options.compression, columns: plan.columns, groupPerCall, groupsAtBlockEnds };
  return { features, ctx, formatter: rowFormatter(plan.outputFormat, parquet) };
}
