/**
 * The command line: commander program and help, main(argv) → exit code.
 * The only place that maps errors to exit codes, and the only user of chalk and the progress bar.
 */
import { closeSync, constants, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import chalk, { Chalk } from 'chalk';
import { EXIT, RunError, exitCodeOf, oneLine, printable, type RunErrorCode } from './errors.js';
import { defaultWorkers, resolveOptions, type Options, type RawFlags } from './options.js';
import { ModelSession, readModel, type ModelBytes } from './model/session.js';
import { outputFormatFor } from './formats/detect.js';
import { BrokenPipe, temporaryFiles } from './io/sinks.js';
import { RunOutputs, keptAfterStop, writeSummary } from './runOutputs.js';
import { earlyWorkers, newCounts, runPipeline, type RunCounts } from './pipeline/runner.js';
import type { Sidecar } from './report/sidecar.js';
import { summaryLine, type RunSummary } from './report/summary.js';
import { progressBar } from './report/progress.js';
import { inspectModel, renderInspect } from './report/inspect.js';

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const EXAMPLES = `
Examples:
  $ batch-score fixtures/houses.csv -m fixtures/models/linear.onnx -o preds.csv --keep id
  $ batch-score day.csv -m model.onnx --features age,income,score -o preds.csv --summary run.json
  $ cat events.jsonl | batch-score -m model.onnx | jq .variable
  $ zcat day.csv.gz | batch-score -m model.onnx -o preds.csv.gz
  $ tail -f stream.jsonl | batch-score -m model.onnx --flush-ms 200 >> preds.jsonl

  $ batch-score inspect model.onnx --input day.csv

Exit codes: 0 all scored · 3 some records failed (see the sidecar) · 2 cannot start or go on · 1 internal error`;

function buildProgram(): Command {
  return new Command('batch-score')
    .enablePositionalOptions() // so that `inspect --keep id` gives --keep to inspect, not to the scorer
    .description('Score records (CSV, TSV, JSONL, JSON) with a local ONNX model: one prediction per input record, failures in an error sidecar.')
    .version(VERSION, '-V, --version')
    .argument('[inputs...]', 'input files (CSV, TSV, JSONL, JSON; .gz too), scored in order into one output; - or none for standard input')
    .option('-m, --model <path>', 'the ONNX model (required)')
    .option('-o, --output <path>', 'output file, written atomically; a device or FIFO is written in place (default: standard output)')
    .option('--features <names>', 'comma-separated columns fed to the model, in this order (default: all but --keep)')
    .option('--keep <names>', 'comma-separated columns copied verbatim before the predictions')
    .option('--outputs <names>', 'comma-separated model outputs to write (default: all tensor outputs)')
    .option('--batch-size <n>', 'records per model call', '1024')
    .addOption(new Option('--on-error <mode>', 'a failed record: an empty prediction row, or left out').choices(['null', 'skip']).default('null'))
    .option('--errors <path>', 'error sidecar path, - for standard output (default: beside the output, <name>.errors.jsonl; with output to a stream, batch-score.errors.jsonl)')
    .addOption(new Option('--missing <mode>', 'empty/NA feature: a record error, or NaN').choices(['error', 'nan']).default('error'))
    .option('--input-format <format>', 'csv, tsv, jsonl or json (default: from the extension; sniffed on stdin)')
    .option('--output-format <format>', 'csv, tsv, jsonl or json (default: from the -o extension, else the input\'s)')
    .option('--delimiter <char>', 'field delimiter of CSV-like input (default: , and tab for .tsv)')
    .option('--no-header', 'CSV input has no header row: columns are named 1, 2, 3…')
    .option('--flush-ms <ms>', 'score a partial chunk when input stalls this long (0: only when full)', '1000')
    .option('--workers <n>', 'worker threads scoring beside the main thread, each with its own model session (0: the main thread alone; default: cores - 1; at most 4 × cores)', String(defaultWorkers()))
    .option('--threads <n>', 'onnxruntime intra-op threads per session (default: cores / (workers + 1))')
    .option('--retries <n>', 'retry a failed model call this many times before isolating the failing records', '0')
    .option('--retry-delay <ms>', 'wait between retries', '1000')
    .option('--max-errors <n>', 'abort (exit 4) when more than n records fail')
    .option('--max-error-rate <fraction>', 'abort (exit 4) when more than this fraction of records fail (checked from --batch-size records on, and at the end of the input)')
    .option('--max-record-bytes <n>', 'a longer record fails as RECORD_TOO_LARGE', String(1024 * 1024))
    .option('--summary <path>', 'write a JSON run summary here (- for standard output)')
    .option('-q, --quiet', 'no summary line, no progress bar')
    .option('--no-progress', 'no progress bar')
    .option('--no-color', 'no colors (also NO_COLOR=1)')
    .option('--verbose', 'stack traces for errors')
    .addHelpText('after', EXAMPLES)
    .showHelpAfterError('(run batch-score --help for usage)');
}

export async function run(argv: string[]): Promise<void> {
  process.exitCode = await main(argv);
}

function buildInspect(): Command {
  return new Command('inspect')
    .description("show a model's inputs, outputs, labels and metadata; with --input, the mapping a run would apply to that file")
    .argument('<model>', 'the ONNX model')
    .option('--input <path>', 'an input file: show which columns feed which input, the output columns, and the first problems')
    .option('--json', 'print the report as JSON')
    .option('--features <names>', 'as for scoring')
    .option('--keep <names>', 'as for scoring')
    .option('--outputs <names>', 'as for scoring')
    .option('--input-format <format>', 'as for scoring')
    .option('--delimiter <char>', 'as for scoring')
    .option('--no-header', 'as for scoring')
    .option('--no-color', 'no colors')
    .option('--verbose', 'stack traces for errors');
}

interface Parsed {
  command: 'score' | 'inspect';
  args: string[];
  flags: RawFlags & { input?: string; json?: boolean };
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  let parsed: Parsed | null = null;
  program.exitOverride();
  program.action((args: string[], flags: RawFlags) => {
    parsed = { command: 'score', args, flags };
  });
  const inspectCommand = buildInspect()
    .exitOverride()
    .action((modelPath: string, flags: Parsed['flags']) => {
      parsed = { command: 'inspect', args: flags.input ? [flags.input] : [], flags: { ...flags, model: modelPath } };
    });
  program.addCommand(inspectCommand);
  try {
    program.parse(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end with exitCode 0; usage errors are already printed by commander.
      return err.exitCode === 0 ? EXIT.ok : EXIT.run;
    }
    throw err;
  }
  const got = parsed as Parsed | null;
  if (!got) return EXIT.ok;
  let options: Options;
  try {
    options = resolveOptions(got.args, got.flags, process.env, got.command);
  } catch (err) {
    return reportRunError(err, got.flags.verbose === true, got.flags.color !== false);
  }
  if (got.command === 'score' && got.args.length === 0 && process.stdin.isTTY) {
    // Waiting for records typed at a terminal is never what was meant.
    return reportRunError(new RunError('USAGE', 'no input: give input files, or pipe records on standard input (see --help)'), options.verbose, options.color);
  }
  return got.command === 'inspect' ? inspect(options, got.flags.input ?? null, got.flags.json === true) : score(options);
}

async function inspect(options: Options, input: string | null, json: boolean): Promise<number> {
  let session: ModelSession | null = null;
  try {
    session = await ModelSession.load(options.model);
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
  const paint = new Chalk({ level: options.color && process.stderr.isTTY ? chalk.level || 1 : 0 });
  const startedAt = new Date();
  let session: ModelSession | null = null;
  let outputs: RunOutputs | null = null;
  const counts = newCounts();
  let exitCode: number = EXIT.ok;
  let stopped: string | undefined;
  const bar = progressBar(options.progress);
  let failure: unknown;
  const interrupt = new AbortController();
  const stopSignals = onSignals(interrupt, options, () => keptAfterStop(options, outputs?.sidecar ?? null));
  let pool: ReturnType<typeof earlyWorkers> = null;
  const summaryOf = (): RunSummary => buildSummary(options, session, counts, outputs?.sidecar ?? null, startedAt, exitCode, stopped);
  try {
    // Read once: every session of the run, in every worker, is made from these bytes (and the summary's sha256 is
    // theirs), even if the file is replaced during the run.
    const model: ModelBytes = await readModel(options.model);
    // For a large input, the workers start now and load the model while the main thread loads its own.
    pool = earlyWorkers(options, model);
    session = await ModelSession.fromBytes(model, options.threads);
    outputs = await RunOutputs.open(options);
    await runPipeline({
      options,
      session,
      model,
      outputFormatFor: (input) => outputFormatFor(options.outputFormat, options.output, input),
      sink: outputs.sink,
      sidecar: outputs.sidecar,
      signal: interrupt.signal,
      pool,
      onPlan: (plan, outputs) => {
        if (options.quiet) return;
        for (const name of outputs.skipped) {
          process.stderr.write(printable(`batch-score: note: output ${name} is not a tensor (a ZipMap's sequence of maps) and is left out; export the model with ZipMap disabled to get it`) + '\n');
        }
        if (plan.fixedBatch !== null) {
          process.stderr.write(`batch-score: note: the model has a fixed batch size of ${plan.fixedBatch}; scoring ${plan.fixedBatch} record${plan.fixedBatch === 1 ? '' : 's'} per call\n`);
        }
      },
      onProgress: (p) => bar.update(p.source.bytesRead, p.source.size, p.scored + p.failed),
    }, counts);
    exitCode = counts.failed > 0 ? EXIT.someFailed : EXIT.ok;
    // The output, its sidecar and the summary are committed together, or not at all.
    await outputs.commit(() => `${JSON.stringify(summaryOf(), null, 2)}\n`);
  } catch (err) {
    failure = err;
    const threshold = err instanceof RunError && err.code === 'THRESHOLD';
    await outputs?.abort(threshold);
    if (threshold) failure = new RunError('THRESHOLD', `${err.message}; ${keptAfterStop(options, outputs?.sidecar ?? null)}`);
    if (err instanceof BrokenPipe) {
      exitCode = EXIT.ok;
      stopped = 'standard output was closed';
      failure = undefined;
    } else {
      exitCode = exitCodeOf(failure);
      stopped = oneLine(failure);
    }
  } finally {
    stopSignals();
    bar.stop();
    await pool?.close();
    await session?.release().catch(() => undefined);
    await outputs?.close();
    process.stdin.destroy(); // an unread stdin (e.g. after a broken pipe) must not keep the process alive
  }
  const summary = summaryOf();
  if (failure !== undefined) reportRunError(failure, options.verbose, options.color);
  else if (!options.quiet) process.stderr.write(`${paintLine(paint, summary)}\n`);
  try {
    const text = `${JSON.stringify(summary, null, 2)}\n`;
    await (outputs ? outputs.writeSummary(text) : writeSummary(options.targets.summary, text));
  } catch (err) {
    reportRunError(err, options.verbose, options.color);
    if (exitCode === EXIT.ok || exitCode === EXIT.someFailed) exitCode = EXIT.run;
  }
  return exitCode;
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
    controller.abort(new RunError(code, `stopped by ${signal}; ${kept()}`));
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
  for (const input of options.inputs) if (input !== '-') releaseFifo(input, constants.O_WRONLY);
  // Likewise a FIFO output waiting for its reader: opening it for reading ourselves ends that wait.
  const { output, errors, summary } = options.targets;
  for (const target of [output, errors, summary]) if (target?.inPlace && target.path !== null) releaseFifo(target.path, constants.O_RDONLY);
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
  session: ModelSession | null,
  counts: RunCounts,
  sidecar: Sidecar | null,
  startedAt: Date,
  exitCode: number,
  stopped: string | undefined,
): RunSummary {
  const finishedAt = new Date();
  const info = session?.info;
  return {
    rows: { read: counts.scored + counts.failed, scored: counts.scored, failed: counts.failed },
    errors: sidecar?.byCode ?? {},
    model: { path: options.model, sha256: info?.sha256 ?? '', inputs: info?.inputs ?? [], outputs: info?.outputs ?? [], calls: counts.modelCalls },
    inputs: options.inputs,
    output: options.output ?? '-',
    errorsFile: sidecar?.where ?? null,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    seconds: (finishedAt.getTime() - startedAt.getTime()) / 1000,
    exitCode,
    ...(counts.configs !== undefined ? { configs: counts.configs } : {}),
    ...(stopped ? { stopped } : {}),
  };
}

function paintLine(paint: InstanceType<typeof Chalk>, s: RunSummary): string {
  const line = printable(summaryLine(s));
  return s.rows.failed > 0 ? paint.yellow(line) : paint.green(line);
}

function reportRunError(err: unknown, verbose: boolean, color: boolean): number {
  const paint = new Chalk({ level: color && process.stderr.isTTY ? chalk.level || 1 : 0 });
  const code = err instanceof RunError ? err.code : 'INTERNAL';
  process.stderr.write(`${paint.red(`batch-score: error [${code}]`)} ${printable(oneLine(err))}\n`);
  if (verbose && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  return exitCodeOf(err);
}
