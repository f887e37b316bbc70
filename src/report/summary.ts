/** The run summary: one line on stderr, and the same as JSON with --summary. */
import type { RecordErrorCode } from '../errors.js';
import type { ModelInfo } from '../model/session.js';

export interface RunSummary {
  rows: { read: number; scored: number; failed: number };
  errors: Partial<Record<RecordErrorCode, number>>;
  /** `calls`: model calls made, retries and isolation included. */
  model: { path: string; sha256: string; inputs: ModelInfo['inputs']; outputs: ModelInfo['outputs']; calls: number };
  inputs: string[];
  output: string;
  errorsFile: string | null;
  startedAt: string;
  finishedAt: string;
  seconds: number;
  exitCode: number;
  /** The ForestFlow request's `configs`, copied as given. */
  configs?: unknown;
  /** Why the run stopped early, when it did. */
  stopped?: string;
}

export function summaryLine(s: RunSummary): string {
  const rate = s.seconds > 0 ? Math.round(s.rows.read / s.seconds) : s.rows.read;
  const codes = Object.entries(s.errors).map(([code, n]) => `${code} ${n}`).join(', ');
  const failed = s.rows.failed ? `, ${s.rows.failed} failed (${codes}) → ${s.errorsFile}` : ', 0 failed';
  const stopped = s.stopped ? ` — stopped: ${s.stopped}` : '';
  return `batch-score: ${s.rows.read} read, ${s.rows.scored} scored${failed} in ${s.seconds.toFixed(2)} s (${rate.toLocaleString('en-US')} records/s)${stopped}`;
}
