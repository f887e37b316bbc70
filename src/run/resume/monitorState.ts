/**
 * A --resume run's monitoring in its checkpoint (issue 17): the profile and the challenger's agreement merged up to
 * the point, as JSON that reads back exactly (jsonValues.ts: min/max may be ±Infinity or -0; sums are exact
 * partials, counts integers), so that the drift report, --max-drift's exit code and the summary's agreement of the
 * resumed run are an uninterrupted run's.
 */
import type { MonitorKept } from '../../monitor/runMonitor.js';
import type { ColumnPartial } from '../../monitor/columns.js';
import { fromJsonValue, toJsonValue } from '../../output/jsonValues.js';

export function keptToJson(kept: MonitorKept): unknown {
  return toJsonValue(kept);
}

export function keptFromJson(json: unknown): MonitorKept {
  const kept = fromJsonValue(json) as MonitorKept;
  const columns: ColumnPartial[] = kept.profile ? [...kept.profile.inputs, ...kept.profile.outputs.flat()] : [];
  // Written as plain arrays (toJsonValue): typed again, as the columns' merge takes them.
  for (const c of columns) {
    if (c.kind !== 'numeric') continue;
    c.buckets = Uint32Array.from(c.buckets);
    c.counts = Float64Array.from(c.counts);
    c.binned = c.binned === null ? null : Float64Array.from(c.binned);
  }
  return kept;
}
