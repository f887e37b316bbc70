/** The run summary: one line on stderr, and the same as JSON with --summary. */
import type { RecordErrorCode } from '../errors.js';
import type { ModelInfo } from '../model/session.js';
import type { Options, RecordFormat } from '../options.js';
import type { Verdict } from '../monitor/drift.js';
import type { AgreementReport } from '../monitor/agreement.js';

/** The options that decide what the output holds (not how fast it is made: batch size and workers change nothing). */
export interface OutputOptions {
  features: string[] | null;
  keep: string[];
  ignore: string[];
  outputs: string[] | null;
  onError: Options['onError'];
  missing: Options['missing'];
  /** As used: from the flag, else the first input's extension or sniffed (null when no input was read). */
  inputFormat: RecordFormat | null;
  outputFormat: RecordFormat | null;
  /** null: the format's own (`,` for CSV, tab for TSV). */
  delimiter: string | null;
  header: boolean;
  maxRecordBytes: number;
  /** --shard as given (`K/N`): the run scored that share of the inputs. */
  shard: string | null;
  /** Parquet output's page compression; null for other outputs. */
  compression: Options['compression'] | null;
  /** --baseline: the profile a run was compared with (--ood's ranges come from it). */
  baseline: string | null;
  /** --ood's output column. */
  ood: string | null;
  /** --challenger: the second model whose outputs follow as challenger_* columns. */
  challenger: string | null;
}

export interface RunSummary {
  /** What made the output: batch-score's version and the onnxruntime it ran on (predictions may differ across them). */
  tool: { name: 'batch-score'; version: string; onnxruntime: string };
  options: OutputOptions;
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
  /** With --baseline: the run's verdict, its worst column, the report's path and --max-drift. */
  drift?: { verdict: Verdict; worst: { column: string; psi: number } | null; report: string | null; maxDrift: number | null };
  /** With --challenger: how far its predictions agree with the model's. */
  agreement?: AgreementReport;
  /** batch-score profile: where the profile went. */
  profile?: string;
  /** --resume: the run went on from a checkpoint, after this many records (the earlier runs' records are counted). */
  resumed?: { fromRecord: number };
}

export function summaryLine(s: RunSummary): string {
  const rate = s.seconds > 0 ? Math.round(s.rows.read / s.seconds) : s.rows.read;
  const codes = Object.entries(s.errors).map(([code, n]) => `${code} ${n}`).join(', ');
  const failed = s.rows.failed ? `, ${s.rows.failed} failed (${codes}) → ${s.errorsFile}` : ', 0 failed';
  const stopped = s.stopped ? ` — stopped: ${s.stopped}` : '';
  return `batch-score: ${s.rows.read} read, ${s.rows.scored} scored${failed} in ${s.seconds.toFixed(2)} s (${rate.toLocaleString('en-US')} records/s)${driftText(s)}${stopped}`;
}

/** `; drift: watch (worst f3, PSI 0.14) → report.html`, when the run was compared with a baseline. */
function driftText(s: RunSummary): string {
  const d = s.drift;
  if (!d) return s.profile ? `; profile → ${s.profile}` : '';
  const worst = d.worst ? ` (worst ${d.worst.column}, PSI ${d.worst.psi.toFixed(3)})` : '';
  const over = d.maxDrift !== null && d.worst && d.worst.psi > d.maxDrift ? ` over --max-drift ${d.maxDrift}` : '';
  return `; drift: ${d.verdict}${worst}${over}${d.report ? ` → ${d.report}` : ''}`;
}

export function outputOptions(o: Options, formats: { input: RecordFormat; output: RecordFormat } | null): OutputOptions {
  return {
    features: o.features,
    keep: o.keep,
    ignore: o.ignore,
    outputs: o.outputs,
    onError: o.onError,
    missing: o.missing,
    inputFormat: formats?.input ?? o.inputFormat,
    outputFormat: formats?.output ?? o.outputFormat,
    delimiter: o.delimiter,
    header: o.header,
    maxRecordBytes: o.maxRecordBytes,
    shard: o.shard === null ? null : `${o.shard.index}/${o.shard.count}`,
    compression: (formats?.output ?? o.outputFormat) === 'parquet' ? o.compression : null,
    baseline: o.monitor.baseline,
    ood: o.monitor.ood,
    challenger: o.monitor.challenger,
  };
}
