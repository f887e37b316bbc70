/** The scoring context and the output layout: built once per run, the same in the main thread and in workers. */
import type { Options } from '../options.js';
import type { FeaturePlan } from '../model/featurePlan.js';
import { declaredRecordShape, outputColumnNames, type OutputPlan } from '../model/outputPlan.js';
import type { ModelSession } from '../model/session.js';
import type { InputFormat } from '../input/inputFormat.js';
import type { OutputLayout } from '../output/formatters.js';
import { cellWriter } from './cells.js';
import type { ScoringContext } from './processBatch.js';
import type { Challenger } from './challenger.js';
import type { MonitorSetup } from '../monitor/runMonitor.js';

/** What a run adds to scoring: monitoring (profile, --ood, agreement) and a challenger model. */
export interface Monitoring {
  monitor: MonitorSetup | null;
  challenger: Challenger | null;
}

export function makeContext(
  plan: FeaturePlan,
  outputs: OutputPlan,
  format: InputFormat,
  options: Options,
  session: ModelSession,
  monitoring: Monitoring = { monitor: null, challenger: null },
): ScoringContext {
  return {
    parse: format.parser(plan.columns),
    fastFill: format.fastFill(plan),
    blockFill: format.blockFill(plan),
    recordBounds: () => format.recordBounds(),
    crLines: format.loneCrs,
    batchSize: options.batchSize,
    maxRecordLength: options.maxRecordBytes,
    plan,
    writers: plan.feeds.map((f) => cellWriter(f.type, options.missing)),
    session,
    score: { outputNames: outputs.names, fixedBatch: plan.fixedBatch, retries: options.retries, retryDelayMs: options.retryDelayMs },
    onError: options.onError,
    leadingCells: (text) => format.leadingCells(text, plan.columns),
    ...monitoring,
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
