/**
 * Flags → one validated Options object (see options.ts), resolved before any input is read: the command line's
 * side of the options, for the run, profile, inspect and serve commands.
 */
import path from 'node:path';
import { RunError } from '../errors.js';
import { outputFormatFor, parseFormat } from '../formats/detect.js';
import { checkDistinct, outputTarget, type NamedFile } from '../output/outputPaths.js';
import { isS3Url } from '../storage/s3.js';
import { parseShard } from '../input/shardPlan.js';
import { checkpointFilesFor, checkpointPaths } from '../output/checkpointFiles.js';

import type { MonitorOptions, Options } from '../options.js';
import { usableCores } from './cores.js';

/** Defaults of the flags that have one: applied here and shown by --help (one source for both). */
export const DEFAULTS = {
  batchSize: 1024,
  onError: 'null',
  missing: 'error',
  flushMs: 1000,
  retries: 0,
  retryDelayMs: 1000,
  maxRecordBytes: 1024 * 1024,
} as const;

/** What commander hands us: strings and booleans as typed by the user. */
export interface RawFlags {
  model?: string;
  output?: string;
  features?: string;
  keep?: string;
  ignore?: string;
  outputs?: string;
  batchSize?: string;
  onError?: string;
  errors?: string;
  missing?: string;
  summary?: string;
  quiet?: boolean;
  progress?: boolean;
  color?: boolean;
  verbose?: boolean;
  inputFormat?: string;
  outputFormat?: string;
  compression?: string;
  delimiter?: string;
  header?: boolean;
  flushMs?: string;
  retries?: string;
  retryDelay?: string;
  maxErrors?: string;
  maxErrorRate?: string;
  maxRecordBytes?: string;
  workers?: string;
  threads?: string;
  shard?: string;
  outputDir?: string;
  bins?: string;
  baseline?: string;
  drift?: string;
  maxDrift?: string;
  ood?: string;
  challenger?: string;
  resume?: boolean;
}

export type Command = 'score' | 'inspect' | 'serve' | 'profile';

export function resolveOptions(args: string[], flags: RawFlags, env: NodeJS.ProcessEnv = process.env, command: Command = 'score'): Options {
  if (!flags.model) throw usage('missing required option -m, --model <path>');
  const inputs = args.length > 0 ? args : ['-'];
  if (inputs.filter((i) => i === '-').length > 1) throw usage('standard input (-) can be given only once');
  for (const [flag, value] of [['-o', flags.output], ['--errors', flags.errors], ['--summary', flags.summary]]) {
    if (value === '') throw usage(`${flag} needs a path (or - for standard output)`);
  }
  const output = flags.output === undefined || flags.output === '-' ? null : flags.output;
  const outputDir = flags.outputDir === undefined ? null : outputDirectory(flags);
  const workers = flags.workers === undefined ? defaultWorkers() : workerCount(flags.workers);
  const outputAt = outputTarget(output ?? '-');
  // With a stream output there is no file to put the sidecar beside (/dev/null.errors.jsonl is no place for it).
  const errorsPath = flags.errors ?? defaultErrorsPath(outputAt.inPlace ? null : output);
  const targets = {
    output: outputAt,
    errors: outputTarget(errorsPath),
    summary: flags.summary === undefined ? null : outputTarget(flags.summary),
    report: flags.drift === undefined ? null : outputTarget(flags.drift),
  };
  if (command === 'score' || command === 'profile') {
    checkDistinct([...namedFiles(inputs, flags.model, flags, errorsPath), ...checkpointNamed(targets)]);
  }
  const keep = flags.keep === undefined ? [] : nameList('--keep', flags.keep, true);
  const ignore = flags.ignore === undefined ? [] : nameList('--ignore', flags.ignore, true);
  const features = flags.features === undefined ? null : nameList('--features', flags.features);
  const clash = [...keep, ...(features ?? [])].find((name) => ignore.includes(name));
  if (clash !== undefined) throw usage(`column ${JSON.stringify(clash)} is given to --ignore and also to --keep or --features`);
  // An output extension batch-score does not write is told now, before the model is loaded.
  if (command === 'score' && flags.outputFormat === undefined) outputFormatFor(null, output, 'csv');
  return {
    inputs,
    model: flags.model,
    output,
    features,
    keep,
    ignore,
    outputs: flags.outputs === undefined ? null : nameList('--outputs', flags.outputs),
    batchSize: flags.batchSize === undefined ? DEFAULTS.batchSize : positiveInt('--batch-size', flags.batchSize),
    onError: oneOf('--on-error', flags.onError ?? DEFAULTS.onError, ['null', 'skip'] as const),
    errorsPath,
    missing: oneOf('--missing', flags.missing ?? DEFAULTS.missing, ['error', 'nan'] as const),
    summaryPath: flags.summary ?? null,
    targets,
    quiet: flags.quiet === true,
    progress: flags.progress !== false && flags.quiet !== true,
    color: flags.color !== false && !('NO_COLOR' in env && env.NO_COLOR !== ''),
    verbose: flags.verbose === true || Boolean(env.DEBUG),
    inputFormat: flags.inputFormat === undefined ? null : parseFormat('--input-format', flags.inputFormat),
    outputFormat: flags.outputFormat === undefined ? null : parseFormat('--output-format', flags.outputFormat),
    compression: oneOf('--compression', flags.compression ?? 'snappy', ['snappy', 'gzip', 'brotli', 'none'] as const),
    delimiter: flags.delimiter === undefined ? null : delimiterOf(flags.delimiter),
    header: flags.header !== false,
    flushMs: flags.flushMs === undefined ? DEFAULTS.flushMs : nonNegativeInt('--flush-ms', flags.flushMs),
    retries: flags.retries === undefined ? DEFAULTS.retries : nonNegativeInt('--retries', flags.retries),
    retryDelayMs: flags.retryDelay === undefined ? DEFAULTS.retryDelayMs : nonNegativeInt('--retry-delay', flags.retryDelay),
    maxErrors: flags.maxErrors === undefined ? null : nonNegativeInt('--max-errors', flags.maxErrors),
    maxErrorRate: flags.maxErrorRate === undefined ? null : fraction('--max-error-rate', flags.maxErrorRate),
    maxRecordBytes: flags.maxRecordBytes === undefined ? DEFAULTS.maxRecordBytes : positiveInt('--max-record-bytes', flags.maxRecordBytes),
    workers,
    // (workers + main thread) × threads ≤ cores: sessions in parallel threads must not oversubscribe the machine.
    threads: flags.threads === undefined ? Math.max(1, Math.floor(usableCores() / (workers + 1))) : positiveInt('--threads', flags.threads),
    shard: flags.shard === undefined ? null : parseShard(flags.shard),
    outputDir,
    monitor: monitorOptions(flags, command),
    resume: flags.resume === true && checkResumable(inputs, targets, flags),
  };
}

/** --output-dir: a directory (made if missing) or an s3:// prefix; each input's output and sidecar go there. */
function outputDirectory(flags: RawFlags): string {
  const dir = flags.outputDir!;
  if (dir === '') throw usage('--output-dir needs a directory');
  for (const [flag, given] of [['-o', flags.output], ['--errors', flags.errors]] as const) {
    if (given !== undefined) throw usage(`--output-dir names every output and sidecar after its input; it cannot be given with ${flag}`);
  }
  return dir;
}

function monitorOptions(flags: RawFlags, command: Command): MonitorOptions {
  const baseline = flags.baseline ?? null;
  // A drift report and a challenger's agreement describe one output; --output-dir writes one output per input.
  const monitoring = baseline !== null ? '--baseline' : flags.challenger !== undefined ? '--challenger' : null;
  if (flags.outputDir !== undefined && monitoring !== null) {
    throw usage(`${monitoring} cannot be combined with --output-dir (one drift report or agreement per run, not per input): run each input on its own`);
  }
  for (const [flag, value] of [['--drift', flags.drift], ['--max-drift', flags.maxDrift], ['--ood', flags.ood]] as const) {
    if (value !== undefined && baseline === null) throw usage(`${flag} compares with a baseline: give --baseline <profile.json> (made by batch-score profile)`);
  }
  if (flags.drift !== undefined && !/\.(json|html?)$/i.test(flags.drift)) throw usage(`--drift ${JSON.stringify(flags.drift)}: the report is .json or .html`);
  if (flags.ood === '') throw usage('--ood needs a column name');
  const maxDrift = flags.maxDrift === undefined ? null : Number(flags.maxDrift);
  if (maxDrift !== null && (flags.maxDrift!.trim() === '' || !Number.isFinite(maxDrift) || maxDrift < 0)) {
    throw usage(`--max-drift must be a PSI ≥ 0 (e.g. 0.25), got ${JSON.stringify(flags.maxDrift)}`);
  }
  return {
    profile: command === 'profile',
    bins: flags.bins === undefined ? 10 : binsOf(flags.bins),
    baseline,
    drift: flags.drift ?? null,
    maxDrift,
    ood: flags.ood ?? null,
    challenger: flags.challenger ?? null,
  };
}

function binsOf(value: string): number {
  const n = positiveInt('--bins', value);
  if (n < 2 || n > 100) throw usage(`--bins must be between 2 and 100, got ${value.trim()}`);
  return n;
}

/**
 * --resume continues files: inputs it can read again from a position, and an output and a sidecar it can cut back
 * to a checkpoint's length and continue (a gzip output too: it is written in members, see output/gzipMembers.ts).
 * Standard input and streams cannot be.
 */
function checkResumable(inputs: string[], targets: Options['targets'], flags: RawFlags): true {
  if (inputs.includes('-')) throw usage('--resume needs input files: standard input cannot be read again from where a run stopped');
  if (flags.outputDir !== undefined) return checkResumableDir(flags.outputDir);
  if (targets.output.path === null || targets.output.inPlace) throw usage('--resume needs an output file (-o): a stream cannot be taken back to a checkpoint');
  if (targets.errors.path === null || targets.errors.inPlace) throw usage('--resume needs the sidecar in a file (--errors): a stream cannot be taken back to a checkpoint');
  return true;
}

/**
 * --output-dir keeps one checkpoint beside each input's output; an object store's prefix cannot hold one (an object
 * cannot be cut back and appended to).
 */
function checkResumableDir(dir: string): true {
  if (isS3Url(dir)) throw usage('--resume cannot keep checkpoints under an s3:// --output-dir: give a local directory, and copy the outputs up after the run');
  return true;
}

/**
 * One scoring worker per core but one: the main thread scores too, whenever it would otherwise wait for a worker.
 * Measured on 2 cores, 5 alternating runs at 1M rows: 1 worker + main 1.40 s median (2.1 s CPU), 2 workers + main
 * 1.64 s (2.6 s CPU: three scoring threads on two cores); peak RSS ~155 vs ~190 MB.
 */
export function defaultWorkers(): number {
  return Math.max(0, usableCores() - 1);
}

/**
 * At most 4 workers per core: each holds its own model session (memory) and more only contend for the same cores;
 * an unbounded count (a typo such as 1000000) would start threads until memory runs out.
 */
export function maxWorkers(): number {
  return 4 * usableCores();
}

function cores(n: number): string {
  return n === 1 ? '1 core' : `${n} cores`;
}

function workerCount(value: string): number {
  const n = nonNegativeInt('--workers', value);
  const max = maxWorkers();
  if (n > max) throw usage(`--workers must be at most ${max} (4 × the ${cores(usableCores())} this process may use), got ${value.trim()}`);
  return n;
}

/** Every file a run reads or writes, for the identity check (outputPaths.ts): no output may be any other. */
function namedFiles(inputs: string[], model: string, flags: RawFlags, errorsPath: string): NamedFile[] {
  const files: NamedFile[] = inputs.map((i) => ({ label: i === '-' ? 'standard input' : `input ${i}`, name: i, role: 'input' }));
  files.push({ label: `the model ${model}`, name: model, role: 'model' });
  const output = flags.output ?? '-';
  files.push({ label: output === '-' ? 'the output (standard output)' : `-o ${output}`, name: output, role: 'output' });
  const errorsLabel = flags.errors === undefined ? `the sidecar ${errorsPath} (its default path; give --errors)` : `--errors ${errorsPath}`;
  files.push({ label: errorsLabel, name: errorsPath, role: 'output' });
  if (flags.summary !== undefined) files.push({ label: `--summary ${flags.summary}`, name: flags.summary, role: 'output' });
  if (flags.baseline !== undefined) files.push({ label: `--baseline ${flags.baseline}`, name: flags.baseline, role: 'input' });
  if (flags.challenger !== undefined) files.push({ label: `the challenger ${flags.challenger}`, name: flags.challenger, role: 'model' });
  if (flags.drift !== undefined) files.push({ label: `--drift ${flags.drift}`, name: flags.drift, role: 'output' });
  return files;
}

/**
 * A run writing a file output writes (with --resume) or removes (without) checkpoint files beside it: they are
 * outputs too, so an input or the model at one of those names is refused, never removed or written over.
 */
function checkpointNamed(targets: Options['targets']): NamedFile[] {
  const files = checkpointFilesFor(targets);
  if (files === null) return [];
  return checkpointPaths(files).map((file) => ({ label: `the checkpoint file ${shownPath(file)} (batch-score's, for --resume)`, name: file, role: 'output' }));
}

/** A resolved path as a person would type it here: relative when under the working directory. */
function shownPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
}

/**
 * `preds.csv` → `preds.errors.jsonl` beside it (also `preds.csv.gz`); a stream output (stdout, a device, a FIFO)
 * → `batch-score.errors.jsonl` in the cwd.
 */
export function defaultErrorsPath(output: string | null): string {
  if (output === null) return 'batch-score.errors.jsonl';
  const base = path.posix.basename(output).replace(/(\.gz)?$/i, '');
  const stem = base.includes('.') ? base.slice(0, base.lastIndexOf('.')) : base;
  // An s3:// URL is not a path: path.join would fold its `//`.
  if (isS3Url(output)) return `${output.slice(0, output.length - path.posix.basename(output).length)}${stem}.errors.jsonl`;
  return path.join(path.dirname(output), `${stem}.errors.jsonl`);
}

function usage(message: string): RunError {
  return new RunError('USAGE', message);
}

/**
 * Comma-separated column names. `emptyName`: an empty name is allowed (--keep/--ignore), because a header can have
 * an unnamed column — pandas writes its index that way (`--ignore ""`).
 */
function nameList(flag: string, value: string, emptyName = false): string[] {
  const names = value.split(',').map((s) => s.trim());
  if (!emptyName && names.some((n) => n === '')) throw usage(`${flag} ${JSON.stringify(value)} has an empty name`);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) throw usage(`${flag} names ${JSON.stringify(dup)} twice`);
  return names;
}

/** One character; `\t` and `tab` spell a tab. */
function delimiterOf(value: string): string {
  const d = value === '\\t' || value.toLowerCase() === 'tab' ? '\t' : value;
  if (d.length !== 1 || d === '"' || d === '\n' || d === '\r') {
    throw usage(`--delimiter must be one character other than a quote or a line break, got ${JSON.stringify(value)}`);
  }
  return d;
}

function nonNegativeInt(flag: string, value: string): number {
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw usage(`${flag} must be a whole number ≥ 0, got ${JSON.stringify(value)}`);
  }
  return Number(value);
}

function fraction(flag: string, value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) throw usage(`${flag} must be a fraction between 0 and 1, got ${JSON.stringify(value)}`);
  return n;
}

export function positiveInt(flag: string, value: string): number {
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
    throw usage(`${flag} must be a whole number ≥ 1, got ${JSON.stringify(value)}`);
  }
  return n;
}

function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw usage(`${flag} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
  }
  return value as T;
}
