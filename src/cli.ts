/**
 * The command line: commander program and help, main(argv) → exit code.
 * The only place that maps errors to exit codes, and the only user of colours and the progress bar.
 */
import { closeSync, constants, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { flag } from './commands/helpFlag.js';
import { loadColours, paintFor, type Paint } from './report/paint.js';
import { EXIT, RunError, exitCodeOf, oneLine, printable, type RunErrorCode } from './errors.js';
import type { Options, RecordFormat } from './options.js';
import { DEFAULTS, defaultWorkers, resolveOptions, type RawFlags } from './commands/resolveOptions.js';
import { ModelSession, readModel, runtimeVersion, prepareRuntime, type ModelBytes } from './model/session.js';
import { outputFormatFor } from './formats/detect.js';
import { BrokenPipe, temporaryFiles } from './output/sinks.js';
import { RunOutputs, keptAfterStop, writeSummary } from './output/runOutputs.js';
import { earlyWorkers, newCounts, runPipeline, type RunCounts, type RunSettings } from './run/runner.js';
import { openDirRun, runEachInput } from './run/perInput.js';
import { DirOutputs } from './output/dirOutputs.js';
import { SameFileError } from './output/outputPaths.js';
import type { Sidecar } from './output/sidecar.js';
import { outputOptions, summaryLine, type RunSummary } from './report/summary.js';
import { progressBar } from './report/progress.js';
import { buildServe, runServe } from './commands/serve.js';
import { resolveInputs } from './input/shardPlan.js';
import { buildProfile } from './commands/profile.js';
import { driftExit, reportText, startMonitoring, type MonitorResult, type Monitoring } from './run/monitoring.js';
import { RunCheckpoint } from './run/resume/runCheckpoint.js';
import { DirCheckpoints } from './run/resume/dirCheckpoints.js';
import type { AtomicFileSink } from './output/sinks.js';
import { detachOneArrayBuffer } from './score/detachProtector.js';

detachOneArrayBuffer();

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const EXIT_CODES = `
Exit codes:
  0    every record scored (also when the reader of standard output went away)
  3    done, some records failed: see the error sidecar
  2    the run could not start or go on (usage, model, input, output, mapping); no output written
  4    aborted: more records failed than --max-errors/--max-error-rate allow
  5    complete, but a column drifted past --max-drift: see the drift report
  129  hung up (SIGHUP); 130 interrupted (SIGINT, Ctrl-C); 143 terminated (SIGTERM); no output written
  1    internal error (a bug: please report it with --verbose output)`;

const SCORE_EXAMPLES = `
Examples:
  $ batch-score fixtures/houses.csv -m fixtures/models/linear.onnx -o preds.csv --keep id
  $ batch-score day.csv -m model.onnx --features age,income,score -o preds.csv --summary run.json
  $ batch-score pandas.csv -m model.onnx --ignore "" --keep id -o preds.csv   # drop pandas' unnamed index
  $ cat events.jsonl | batch-score -m model.onnx | jq .variable
  $ zcat day.csv.gz | batch-score -m model.onnx -o preds.csv.gz
  $ tail -f stream.jsonl | batch-score -m model.onnx --flush-ms 200 >> preds.jsonl
  $ batch-score profile train.csv -m model.onnx -o baseline.json              # see batch-score help profile
  $ batch-score day.csv -m model.onnx -o preds.csv --baseline baseline.json --drift report.html --max-drift 0.25
${EXIT_CODES}
`;

const INSPECT_EXAMPLES = `
Examples:
  $ batch-score inspect model.onnx                         # inputs, outputs, labels, metadata
  $ batch-score inspect model.onnx --input day.csv         # + the mapping a run would apply, and a sample's errors
  $ batch-score inspect model.onnx --input day.csv --keep id --json

Exit codes: 0 the report was printed · 2 the input cannot be mapped (the problem is in the report), or a run
error (usage, model, input) · 1 internal error
`;

function buildProgram(): Command {
  return new Command('batch-score')
    .enablePositionalOptions() // so that `inspect --keep id` gives --keep to inspect, not to the scorer
    .description('Score records (CSV, TSV, JSONL, JSON, Parquet) with a local ONNX model: one prediction per input record, failures in an error sidecar.')
    .usage('[inputs...] -m <model.onnx> [options]')
    .version(VERSION, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'this help')
    .helpCommand('help [command]', 'help for a command (batch-score help inspect)')
    .argument('[inputs...]', 'input files (CSV, TSV, JSONL, JSON, Parquet; .gz too; s3://bucket/key), scored in order into one output; - or none for standard input')
    .addOption(flag('-m, --model <path>', 'the ONNX model (required)'))
    .addOption(flag('-o, --output <path>', 'output file, written atomically; a device or FIFO is written in place', 'standard output'))
    .addOption(flag('--features <names>', 'comma-separated columns fed to the model, in this order', 'all but --keep and --ignore'))
    .addOption(flag('--keep <names>', 'comma-separated columns copied verbatim before the predictions'))
    .addOption(flag('--ignore <names>', 'comma-separated columns dropped before mapping: neither features nor kept ("" names an unnamed column)'))
    .addOption(flag('--outputs <names>', 'comma-separated model outputs to write', 'all tensor outputs'))
    .addOption(flag('--batch-size <n>', 'records per model call', DEFAULTS.batchSize))
    .addOption(flag('--on-error <mode>', 'a failed record: null (a row with empty predictions) or skip (no row)', DEFAULTS.onError))
    .addOption(flag('--output-dir <dir>', 'one output and one sidecar per input, named after it: DIR/<name>.<ext>, DIR/<name>.errors.jsonl (a directory or s3://bucket/prefix/)'))
    .addOption(flag('--shard <K/N>', 'score only shard K (0-based) of N: the records starting in the K-th of N equal byte ranges of the inputs (with --output-dir: whole inputs)'))
    .addOption(flag('--errors <path>', 'error sidecar path, - for standard output', '<output name>.errors.jsonl beside the output; with output to a stream, batch-score.errors.jsonl'))
    .addOption(flag('--missing <mode>', 'an empty/NA feature: error (MISSING_VALUE) or nan (fed as NaN)', DEFAULTS.missing))
    .addOption(flag('--input-format <format>', 'csv, tsv, jsonl, json or parquet', 'from the extension, else sniffed'))
    .addOption(flag('--output-format <format>', 'csv, tsv, jsonl, json or parquet', "from the -o extension, else the input's"))
    .addOption(flag('--compression <codec>', "Parquet output's page compression: snappy, gzip, brotli or none", 'snappy'))
    .addOption(flag('--delimiter <char>', 'field delimiter of CSV-like input (tab or \\t for a tab)', ', (tab for .tsv)'))
    .addOption(flag('--no-header', 'CSV input has no header row: columns are named 1, 2, 3…'))
    .addOption(flag('--flush-ms <ms>', 'score what has gathered when input stalls this long (0: only full blocks)', DEFAULTS.flushMs))
    .addOption(flag('--workers <n>', 'worker threads scoring beside the main thread, each with its own model session (0: the main thread alone; at most 4 × cores)', `cores - 1, here ${defaultWorkers()}`))
    .addOption(flag('--threads <n>', 'onnxruntime intra-op threads per session', 'cores / (workers + 1)'))
    .addOption(flag('--retries <n>', 'retry a failed model call this many times before isolating the failing records', DEFAULTS.retries))
    .addOption(flag('--retry-delay <ms>', 'wait between retries', DEFAULTS.retryDelayMs))
    .addOption(flag('--max-errors <n>', 'abort (exit 4) when more than n records fail', 'no limit'))
    .addOption(flag('--max-error-rate <fraction>', 'abort (exit 4) when more than this fraction of records fail (checked from --batch-size records on, and at the end of the input)', 'no limit'))
    .addOption(flag('--max-record-bytes <n>', 'a longer record fails as RECORD_TOO_LARGE', `${DEFAULTS.maxRecordBytes} (1 MiB)`))
    .addOption(flag('--resume', 'keep a checkpoint beside the output (with --output-dir, beside each output); after a crash or a kill, the same command with --resume carries on from it'))
    .addOption(flag('--summary <path>', 'write a JSON run summary here (- for standard output)'))
    .addOption(flag('--baseline <path>', 'a profile (batch-score profile) to compare this run with: drift per column in the summary'))
    .addOption(flag('--drift <path>', 'write the drift report here: .json, or .html (a page with charts)'))
    .addOption(flag('--max-drift <psi>', 'exit 5 when a column drifts past this PSI (0.25: the drift verdict); the output is still written'))
    .addOption(flag('--ood <column>', "add an output column naming each record's features outside the baseline's [min, max]"))
    .addOption(flag('--challenger <model.onnx>', 'a second model scoring every record: its outputs as challenger_* columns, agreement in the summary'))
    .addOption(flag('-q, --quiet', 'no summary line, no progress bar'))
    .addOption(flag('--no-progress', 'no progress bar (it shows only when stderr is a terminal)'))
    .addOption(flag('--no-color', 'no colors (also NO_COLOR=1)'))
    .addOption(flag('--verbose', "stack traces for errors, and onnxruntime's own log lines"))
    .addHelpText('after', SCORE_EXAMPLES);
}

export async function run(argv: string[]): Promise<void> {
  await loadColours();
  process.exitCode = await main(argv);
}

function buildInspect(): Command {
  return new Command('inspect')
    .description("show a model's inputs, outputs, labels and metadata; with --input, the mapping a run would apply to that file")
    .argument('<model>', 'the ONNX model')
    .helpOption('-h, --help', 'this help')
    .option('--input <path>', 'an input file: show which columns feed which input, the output columns, and the first problems in a sample of its records')
    .option('--json', 'print the report as JSON')
    .option('--features <names>', 'as for scoring')
    .option('--keep <names>', 'as for scoring')
    .option('--ignore <names>', 'as for scoring')
    .option('--outputs <names>', 'as for scoring')
    .option('--input-format <format>', 'as for scoring')
    .option('--delimiter <char>', 'as for scoring')
    .option('--no-header', 'as for scoring')
    .option('--no-color', 'no colors')
    .option('--verbose', "stack traces for errors, and onnxruntime's own log lines")
    .addHelpText('after', INSPECT_EXAMPLES);
}

interface Parsed {
  command: 'score' | 'inspect' | 'serve' | 'profile';
  args: string[];
  flags: RawFlags & { input?: string; json?: boolean };
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  let parsed: Parsed | null = null;
  let helpFor = 'batch-score --help';
  // Help and the version go to stdout (a closed pipe, as in `--help | head`, is not an error); commander's own
  // error text is replaced by our one line below.
  const output = { writeOut: writeHelp, outputError: () => undefined };
  program.exitOverride().configureOutput(output);
  program.action((args: string[], flags: RawFlags) => {
    parsed = { command: 'score', args, flags };
  });
  // A subcommand's usage error points at its own help.
  const sub = (command: Command): Command =>
    command.exitOverride().configureOutput({ ...output, outputError: () => void (helpFor = `batch-score help ${command.name()}`) });
  program.addCommand(sub(buildInspect()).action((modelPath: string, flags: Parsed['flags']) => {
    parsed = { command: 'inspect', args: flags.input ? [flags.input] : [], flags: { ...flags, model: modelPath } };
  }));
  program.addCommand(sub(buildServe()).action((flags: Parsed['flags']) => {
    parsed = { command: 'serve', args: [], flags };
  }));
  program.addCommand(sub(buildProfile()).action((args: string[], flags: RawFlags) => {
    parsed = { command: 'profile', args, flags };
  }));
  try {
    program.parse(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end with exitCode 0; a usage error becomes our one line, exit 2.
      if (err.exitCode === 0) return EXIT.ok;
      const message = `${err.message.replace(/^error: /, '')} (see ${helpFor})`;
      return reportRunError(new RunError('USAGE', message), false, !argv.includes('--no-color') && !('NO_COLOR' in process.env && process.env.NO_COLOR !== ''));
    }
    throw err;
  }
  const got = parsed as Parsed | null;
  if (!got) return EXIT.ok;
  if (got.command === 'serve') return runServe(got.flags, (err) => reportRunError(err, got.flags.verbose === true, false), VERSION);
  let options: Options;
  try {
    options = resolveOptions(got.args, got.flags, process.env, got.command);
  } catch (err) {
    return reportRunError(err, got.flags.verbose === true, got.flags.color !== false);
  }
  prepareRuntime(options.verbose);
  if (got.command !== 'inspect' && got.args.length === 0 && process.stdin.isTTY) {
    // Waiting for records typed at a terminal is never what was meant.
    return reportRunError(new RunError('USAGE', 'no input: give input files, or pipe records on standard input (see --help)'), options.verbose, options.color);
  }
  return got.command === 'inspect' ? inspect(options, got.flags.input ?? null, got.flags.json === true) : score(options);
}

/** Help text on stdout; a reader that went away (`--help | head`) ends it quietly instead of crashing on EPIPE. */
function writeHelp(text: string): void {
  if (process.stdout.listenerCount('error') === 0) process.stdout.on('error', () => undefined);
  process.stdout.write(text);
}

async function inspect(options: Options, input: string | null, json: boolean): Promise<number> {
  let session: ModelSession | null = null;
  try {
    session = await ModelSession.load(options.model);
    const { inspectModel, renderInspect } = await import('./commands/inspect.js');
    const report = await inspectModel(session, options, input);
    process.stdout.write(json ? `${JSON.stringify(report, null, 2)}\n` : renderInspect(report));
    return report.mapping?.problems.length ? EXIT.run : EXIT.ok;
  } catch (err) {
    return reportRunError(err, options.verbose, options.color);
  } finally {
    await session?.release().catch(() => undefined);
    process.stdin.destroy();
  }
}

async function score(options: Options): Promise<number> {
  const paint = paintFor(options.color);
  const startedAt = new Date();
  let session: ModelSession | null = null;
  let outputs: RunOutputs | DirOutputs | null = null;
  const counts = newCounts();
  let exitCode: number = EXIT.ok;
  let stopped: string | undefined;
  const bar = await progressBar(options.progress);
  let failure: unknown;
  const interrupt = new AbortController();
  const stopSignals = onSignals(interrupt, options, () => keptAfterStop(options, outputs?.sidecar ?? null));
  let pool: ReturnType<typeof earlyWorkers> = null;
  let formats: { input: RecordFormat; output: RecordFormat } | null = null; // as the run decided them, for the summary
  let monitoring: Monitoring | null = null;
  let monitored: MonitorResult | null = null;
  let checkpoint: RunCheckpoint | DirCheckpoints | null = null;
  const summaryOf = (): RunSummary => ({
    ...buildSummary(options, formats, session, counts, outputs?.sidecar ?? null, startedAt, exitCode, stopped),
    ...monitorSummary(options, monitored),
    ...(checkpoint?.resumedFrom !== undefined ? { resumed: { fromRecord: checkpoint.resumedFrom } } : {}),
  });
  const profiling = options.monitor.profile;
  try {
    // Read once: every session of the run, in every worker, is made from these bytes (and the summary's sha256 is
    // theirs), even if the file is replaced during the run.
    // s3:// prefixes listed, and a shard's parts of the inputs planned, before anything is opened for writing.
    const resolved = await resolveInputs(options);
    options = { ...options, inputs: resolved.inputs };
    const model: ModelBytes = await readModel(options.model);
    monitoring = await startMonitoring(options);
    // For a large input, the workers start now and load the model while the main thread loads its own.
    pool = earlyWorkers(options, model, monitoring.challenger?.model ?? null);
    session = await ModelSession.fromBytes(model, options.threads);
    const settings = runSettings(options, session, model, monitoring, interrupt.signal, bar, (f) => (formats = f));
    const parts = resolved.parts ?? options.inputs.map((name) => ({ name, range: null }));
    if (options.outputDir === null) {
      checkpoint = await RunCheckpoint.find(options, session.info.sha256);
      const single = (outputs = await RunOutputs.open(options, checkpoint?.kept ?? null));
      const resume = (await checkpoint?.start(single.sink as AtomicFileSink, single.sidecar, monitoring.monitor)) ?? null;
      const kept = checkpoint?.monitor;
      if (kept) monitoring.monitor?.restore(kept);
      sayResumed(options, checkpoint);
      await runPipeline({ ...settings, sink: single.sink, sidecar: single.sidecar, parts, pool, resume }, counts);
    } else {
      // One output and sidecar per input (those this shard owns, whole).
      const dir = await openDirRun(options, parts, session.info.sha256);
      ({ outputs, checkpoints: checkpoint } = dir);
      sayResumed(options, checkpoint);
      bar.plan(parts);
      await runEachInput(settings, parts, dir.outputs, counts, pool, dir.checkpoints);
    }
    await checkpoint?.settle();
    exitCode = counts.failed > 0 ? EXIT.someFailed : EXIT.ok;
    if (monitoring.monitor) {
      const records = { read: counts.scored + counts.failed, scored: counts.scored, failed: counts.failed };
      monitored = monitoring.monitor.finish(counts.columnNames ?? [], { sha256: session.info.sha256, records });
      if (profiling && outputs instanceof RunOutputs) await outputs.sink.write(`${JSON.stringify(monitored.profile, null, 2)}\n`);
      exitCode = driftExit(options, monitored.drift, exitCode);
    }
    // The output, its sidecar, the summary and the drift report are committed together, or not at all.
    const summaryText = () => `${JSON.stringify(summaryOf(), null, 2)}\n`;
    const report = await reportText(options, monitored?.drift ?? null);
    await commitUnlessStopped(outputs, summaryText, () => report, interrupt.signal);
    await checkpoint?.completed();
  } catch (err) {
    // After a signal, whatever failed failed because of it (a FIFO whose wait the signal ended reads as empty).
    const cause = interrupt.signal.aborted ? (interrupt.signal.reason as unknown) : err;
    ({ failure, exitCode, stopped } = await stoppedRun(cause, options, outputs, checkpoint));
  } finally {
    stopSignals();
    bar.stop();
    await pool?.close();
    await session?.release().catch(() => undefined);
    await monitoring?.challenger?.session.release().catch(() => undefined);
    await outputs?.close();
    process.stdin.destroy(); // an unread stdin (e.g. after a broken pipe) must not keep the process alive
  }
  return endRun(options, outputs, summaryOf(), { failure, exitCode, signalled: interrupt.signal.aborted }, paint);
}

/** A resumed run says so, and from where, before it goes on. */
function sayResumed(options: Options, checkpoint: RunCheckpoint | DirCheckpoints | null): void {
  if (checkpoint?.resumedFrom === undefined || options.quiet) return;
  process.stderr.write(printable(`batch-score: resumed from record ${checkpoint.resumedFrom.toLocaleString('en-US')} (${checkpoint.where})`) + '\n');
}

/**
 * The run's last words: its error or summary line on stderr, and its summary file (a failure to write that is a
 * run error too). Returns the exit code.
 */
async function endRun(
  options: Options,
  outputs: RunOutputs | DirOutputs | null,
  summary: RunSummary,
  end: { failure: unknown; exitCode: number; signalled: boolean },
  paint: Paint,
): Promise<number> {
  if (end.failure !== undefined) reportRunError(end.failure, options.verbose, options.color);
  else if (!options.quiet) process.stderr.write(`${paintLine(paint, summary)}\n`);
  // A run refused for writing one file twice writes nothing, not even its summary: that may be the file in question.
  if (end.failure instanceof SameFileError) return end.exitCode;
  try {
    const text = `${JSON.stringify(summary, null, 2)}\n`;
    const wait = !end.signalled; // a stopped run does not wait for the reader of a FIFO
    await (outputs ? outputs.writeSummary(text, wait) : writeSummary(options.targets.summary, text, wait));
  } catch (err) {
    reportRunError(err, options.verbose, options.color);
    if (end.exitCode === EXIT.ok || end.exitCode === EXIT.someFailed) return EXIT.run;
  }
  return end.exitCode;
}

/**
 * Commits the run's files unless a signal came meanwhile. Writing a report or a summary into a FIFO waits for its
 * reader; a signal ends that wait (releaseFifoOpens) and must stop the run as it would while reading: nothing
 * committed, exit 128 + n.
 */
async function commitUnlessStopped(outputs: RunOutputs | DirOutputs, summary: () => string, report: () => string | null, signal: AbortSignal): Promise<void> {
  const stillGoing = (): void => signal.throwIfAborted();
  await (outputs instanceof RunOutputs ? outputs.commit(summary, report, stillGoing) : outputs.commit(summary, stillGoing));
}

/** A run that failed: nothing is committed (a --resume checkpoint is kept); how it ends: the error, exit code, reason. */
async function stoppedRun(
  err: unknown,
  options: Options,
  outputs: RunOutputs | DirOutputs | null,
  checkpoint: RunCheckpoint | DirCheckpoints | null,
): Promise<{ failure: unknown; exitCode: number; stopped: string }> {
  const threshold = err instanceof RunError && err.code === 'THRESHOLD';
  await checkpoint?.stopped(threshold);
  await outputs?.abort(threshold);
  if (err instanceof BrokenPipe) return { failure: undefined, exitCode: EXIT.ok, stopped: 'standard output was closed' };
  // What was kept is said once everything is aborted: a signal during the commit finds the sidecar about to be
  // committed, which the abort takes back.
  const saysKept = threshold || (err instanceof RunError && STOP_SIGNALS.some(([, code]) => code === err.code));
  const failure = saysKept ? new RunError(err.code, `${err.message}; ${keptAfterStop(options, outputs?.sidecar ?? null)}`) : err;
  return { failure, exitCode: exitCodeOf(failure), stopped: oneLine(failure) };
}

/** What a run needs beside its outputs: the model, monitoring, the signal that stops it, progress and notes. */
function runSettings(
  options: Options,
  session: ModelSession,
  model: ModelBytes,
  monitoring: Monitoring,
  signal: AbortSignal,
  bar: Awaited<ReturnType<typeof progressBar>>,
  decided: (formats: { input: RecordFormat; output: RecordFormat }) => void,
): Omit<RunSettings, 'sink' | 'sidecar' | 'parts' | 'pool'> {
  const profiling = options.monitor.profile;
  return {
    options,
    session,
    model,
    monitor: monitoring.monitor,
    challenger: monitoring.challenger,
    // batch-score profile writes the profile, not the predictions.
    outputFormatFor: (input) => {
      const output = profiling ? 'json' : outputFormatFor(options.outputFormat, options.output, input);
      decided({ input, output });
      return profiling ? 'none' : output;
    },
    signal,
    onPlan: (plan, outputs) => {
      if (options.quiet) return;
      for (const name of outputs.skipped) {
        process.stderr.write(printable(`batch-score: note: output ${name} is not a tensor (a ZipMap's sequence of maps) and is left out; export the model with ZipMap disabled to get it`) + '\n');
      }
      if (plan.fixedBatch !== null) {
        process.stderr.write(`batch-score: note: the model has a fixed batch size of ${plan.fixedBatch}; scoring ${plan.fixedBatch} record${plan.fixedBatch === 1 ? '' : 's'} per call\n`);
      }
    },
    onRead: (parts, counts) => bar.plan(parts, counts.scored + counts.failed),
    onProgress: (p) => bar.update(p),
  };
}

/** The signals that stop a run, with the run error each ends it with (exit 130, 143, 129: 128 + the signal). */
const STOP_SIGNALS: ReadonlyArray<[NodeJS.Signals, RunErrorCode]> = [
  ['SIGINT', 'INTERRUPTED'],
  ['SIGTERM', 'TERMINATED'],
  ['SIGHUP', 'HANGUP'], // a closed terminal or ssh session, or a service manager's reload
];

/**
 * SIGINT/SIGTERM/SIGHUP: the first stops reading and lets the run clean up (temporaries removed, older outputs
 * untouched, session released) and exit 130/143/129; a second one exits at once with one line, removing
 * temporaries synchronously.
 */
function onSignals(controller: AbortController, options: Options, kept: () => string): () => void {
  const handler = (signal: NodeJS.Signals): void => {
    const code = STOP_SIGNALS.find(([s]) => s === signal)![1];
    // Before anything else: a process cannot even exit while a thread waits in open() (see releaseFifoOpens).
    releaseFifoOpens(options);
    if (controller.signal.aborted) {
      for (const temp of temporaryFiles()) rmSync(temp, { force: true });
      process.stderr.write(printable(`batch-score: error [${code}] stopped at once by a second ${signal}; ${kept()}`) + '\n');
      // Die by the signal itself (the shell sees 128 + its number, as from exit()): process.exit() waits for
      // libuv's threads, and one may be stuck in an open() nothing can end (a FIFO replaced while we wait on it).
      for (const [s] of STOP_SIGNALS) process.removeAllListeners(s);
      process.kill(process.pid, signal);
      return;
    }
    controller.abort(new RunError(code, `stopped by ${signal}`)); // what was kept is added by stoppedRun
  };
  for (const [signal] of STOP_SIGNALS) process.on(signal, handler);
  return () => {
    for (const [signal] of STOP_SIGNALS) process.off(signal, handler);
  };
}

/**
 * Opening a FIFO for reading waits, in a libuv thread, until a writer opens it; nothing cancels that wait, and
 * the process cannot even exit while it lasts (libuv joins its threads at exit). Opening the FIFO for writing
 * ourselves (without blocking) ends the wait: the reader gets end of input at once and the run stops as for any
 * signal. With no reader waiting this fails (ENXIO) and does nothing; a writer already there is not disturbed.
 */
function releaseFifoOpens(options: Options): void {
  const { baseline, challenger } = options.monitor;
  for (const read of [...options.inputs, options.model, baseline, challenger]) if (read !== null && read !== '-') releaseFifo(read, constants.O_WRONLY);
  // Likewise a FIFO output waiting for its reader: opening it for reading ourselves ends that wait.
  const { output, errors, summary, report } = options.targets;
  for (const target of [output, errors, summary, report]) if (target?.inPlace && target.path !== null) releaseFifo(target.path, constants.O_RDONLY);
}

function releaseFifo(file: string, direction: number): void {
  try {
    if (statSync(file).isFIFO()) closeSync(openSync(file, direction | constants.O_NONBLOCK));
  } catch {
    // not a FIFO any more, or no reader waiting: nothing to release
  }
}

function buildSummary(
  options: Options,
  formats: { input: RecordFormat; output: RecordFormat } | null,
  session: ModelSession | null,
  counts: RunCounts,
  sidecar: Pick<Sidecar, 'byCode' | 'where'> | null,
  startedAt: Date,
  exitCode: number,
  stopped: string | undefined,
): RunSummary {
  const finishedAt = new Date();
  const info = session?.info;
  return {
    tool: { name: 'batch-score', version: VERSION, onnxruntime: runtimeVersion() },
    options: outputOptions(options, formats),
    rows: { read: counts.scored + counts.failed, scored: counts.scored, failed: counts.failed },
    errors: sidecar?.byCode ?? {},
    model: { path: options.model, sha256: info?.sha256 ?? '', inputs: info?.inputs ?? [], outputs: info?.outputs ?? [], calls: counts.modelCalls },
    inputs: options.inputs,
    output: options.outputDir ?? options.output ?? '-',
    errorsFile: sidecar?.where ?? null,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    seconds: (finishedAt.getTime() - startedAt.getTime()) / 1000,
    exitCode,
    ...(counts.configs !== undefined ? { configs: counts.configs } : {}),
    ...(stopped ? { stopped } : {}),
  };
}

function paintLine(paint: Paint, s: RunSummary): string {
  const line = printable(summaryLine(s));
  return s.rows.failed > 0 || (s.drift && s.drift.verdict !== 'ok') ? paint.yellow(line) : paint.green(line);
}

/** The summary's monitoring fields: the drift verdict, the challenger's agreement, where the profile went. */
function monitorSummary(options: Options, m: MonitorResult | null): Partial<RunSummary> {
  if (!m) return {};
  return {
    ...(options.monitor.profile ? { profile: options.output ?? '-' } : {}),
    ...(m.drift ? { drift: { verdict: m.drift.verdict, worst: m.drift.worst, report: options.monitor.drift, maxDrift: options.monitor.maxDrift } } : {}),
    ...(m.agreement ? { agreement: m.agreement } : {}),
  };
}

function reportRunError(err: unknown, verbose: boolean, color: boolean): number {
  const paint = paintFor(color);
  const code = err instanceof RunError ? err.code : 'INTERNAL';
  process.stderr.write(`${paint.red(`batch-score: error [${code}]`)} ${printable(oneLine(err))}\n`);
  if (verbose && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  return exitCodeOf(err);
}
