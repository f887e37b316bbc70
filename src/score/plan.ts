/**
 * The run plan: what every thread that scores needs to know, made once from the first source's columns before
 * anything is scored, frozen, and sent as it is to the workers, which make their scoring context from it exactly
 * as the main thread does (so results are byte-identical whichever thread scores a unit).
 */
import type { OnError, Options, RecordFormat } from '../options.js';
import { planFeatures, type FeaturePlan } from '../model/featurePlan.js';
import { planOutputs } from '../model/outputPlan.js';
import type { ModelSession } from '../model/session.js';
import { formatSettings, inputFormat, type Columns } from '../input/inputFormat.js';
import { rowFormatter, type OutputFormat, type RowFormatter } from '../output/formatters.js';
import { makeContext } from './context.js';
import type { ScoringContext } from './processBatch.js';

export interface RunPlan {
  readonly inputFormat: RecordFormat;
  readonly columns: Readonly<Columns>;
  readonly outputFormat: OutputFormat;
  /** A JSON document keeps every record's place (null for a failed one) even under --on-error skip. */
  readonly onError: OnError;
}

export function makeRunPlan(inputFormat: RecordFormat, columns: Columns, outputFormat: OutputFormat, options: Options): RunPlan {
  // The JSON response keeps every record's place under --on-error skip too, so that an `errors` key is the index
  // of its record in `predictions` (and in the input).
  const onError = outputFormat === 'json' ? 'null' : options.onError;
  return Object.freeze({ inputFormat, columns: Object.freeze({ ...columns }), outputFormat, onError });
}

/** What scores and formats units under a plan, in the thread that calls it. */
export interface Scoring {
  features: FeaturePlan;
  ctx: ScoringContext;
  formatter: RowFormatter;
}

export function scoringFor(plan: RunPlan, options: Options, session: ModelSession): Scoring {
  const features = planFeatures(plan.columns.names, session.info, { features: options.features, keep: options.keep, ignore: options.ignore });
  const outputs = planOutputs(session.info, options.outputs);
  const format = inputFormat(plan.inputFormat, formatSettings(options));
  const ctx = makeContext(features, outputs, format, { ...options, onError: plan.onError }, session);
  const formatter = rowFormatter(plan.outputFormat, { compression: options.compression, columns: plan.columns });
  return { features, ctx, formatter };
}
