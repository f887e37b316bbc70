/**
 * The run's options: one validated object, resolved from the flags before any input is read (DESIGN.md: xsv's
 * Config; commands/resolveOptions.ts makes it). Everything downstream reads Options and never looks at argv. Types
 * only: every folder imports them, so they import nothing.
 */
export type OnError = 'null' | 'skip';
export type MissingPolicy = 'error' | 'nan';
export type RecordFormat = 'csv' | 'tsv' | 'jsonl' | 'json' | 'parquet';
export type Compression = 'snappy' | 'gzip' | 'brotli' | 'none';

/** `--shard K/N` (0-based K). */
export interface Shard {
  index: number;
  count: number;
}

/** Where an output goes (output/outputPaths.ts decides it from the path given). */
export interface OutputTarget {
  /** The path as given, for messages and the summary; `-` is standard output. */
  shown: string;
  /** Where it is written (a symlink resolved to its target); null: standard output. */
  path: string | null;
  /** Written in place: standard output or a file that is not a regular file. Never renamed over or removed. */
  inPlace: boolean;
}

export interface Options {
  /** Input paths in the order given; '-' is standard input. */
  inputs: string[];
  model: string;
  /** Output path, or null for standard output. */
  output: string | null;
  features: string[] | null;
  keep: string[];
  /** Columns dropped from the input before mapping: neither features nor kept (e.g. pandas' unnamed index). */
  ignore: string[];
  outputs: string[] | null;
  batchSize: number;
  onError: OnError;
  /** Sidecar path (resolved default when --errors is not given); `-` is standard output. */
  errorsPath: string;
  missing: MissingPolicy;
  summaryPath: string | null;
  /** How each output is written: atomically (a regular file) or in place (stdout, a device, a FIFO). */
  targets: { output: OutputTarget; errors: OutputTarget; summary: OutputTarget | null; report: OutputTarget | null };
  quiet: boolean;
  progress: boolean;
  color: boolean;
  verbose: boolean;
  /** null: from each file's extension, else sniffed. */
  inputFormat: RecordFormat | null;
  /** null: from the output's extension, else the input's family. */
  outputFormat: RecordFormat | null;
  /** Parquet output's page compression. */
  compression: Compression;
  /** null: `,` for CSV, tab for TSV. */
  delimiter: string | null;
  header: boolean;
  flushMs: number;
  retries: number;
  retryDelayMs: number;
  /** Abort (exit 4) when more records than this fail; null: no limit. */
  maxErrors: number | null;
  /** Abort (exit 4) when this fraction of the records read fail (checked from --batch-size records on). */
  maxErrorRate: number | null;
  maxRecordBytes: number;
  /** Worker threads scoring blocks; 0 scores in the main thread. */
  workers: number;
  /** onnxruntime intra-op threads per session. */
  threads: number;
  /** --shard K/N: this run scores shard K of N (see input/shardPlan.ts); null: everything. */
  shard: Shard | null;
  /** --output-dir: one output and sidecar per input in this directory (or s3:// prefix); null: one output. */
  outputDir: string | null;
  /** Monitoring (README "Monitoring"): the profile command, or a run compared with a baseline, or a challenger. */
  monitor: MonitorOptions;
  /** Keep a checkpoint beside the output and continue from one left by the same job (issue 17). */
  resume: boolean;
}

export interface MonitorOptions {
  /** `batch-score profile`: the output (-o) is the profile JSON; predictions are not written. */
  profile: boolean;
  /** Quantile bins per numeric column of a profile (--bins). */
  bins: number;
  baseline: string | null;
  /** The drift report's path (--drift): JSON, or HTML for a `.html`/`.htm` path. */
  drift: string | null;
  /** Exit 5 when the worst column's PSI exceeds this (--max-drift). */
  maxDrift: number | null;
  /** The output column naming each record's features outside the baseline's range (--ood). */
  ood: string | null;
  /** A second model scoring every record (--challenger). */
  challenger: string | null;
}
