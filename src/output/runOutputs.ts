/**
 * The files one scoring run writes — the output, the error sidecar, the summary — opened before any input is
 * read, and committed together or not at all (issue 10):
 * - success: every file is finished first (all write errors surface), then the output, the sidecar (or the
 *   removal of a stale one) and the summary are renamed into place in one commit (output/commit.ts);
 * - failure: the output is not committed (an older file is untouched); a streamed sidecar keeps what it has;
 * - over the error thresholds (exit 4): as a failure, and a file sidecar is kept as `<sidecar>.aborted.jsonl`,
 *   so it is never mistaken for the sidecar of the older output at the output path.
 */
import { closeSync, constants, openSync, statSync, writeSync } from 'node:fs';
import type { Options } from '../options.js';
import { isGzipPath } from '../formats/detect.js';
import { commitTogether, outputError, type CommitStep } from './commit.js';
import type { OutputTarget } from '../options.js';
import { AtomicFileSink, InPlaceSink, StdoutSink, type Sink } from './sinks.js';
import { Sidecar } from './sidecar.js';
import { S3Sink } from './s3Sink.js';
import { isS3Url } from '../storage/s3.js';

/** A --resume run's output and sidecar: kept under these names between runs, `from` bytes of each kept. */
export interface ResumedFiles {
  output: { temp: string; from: number };
  sidecar: { temp: string; from: number };
}

export class RunOutputs {
  private summaryDone = false;

  private constructor(
    private readonly options: Options,
    readonly sink: Sink,
    readonly sidecar: Sidecar,
    private readonly summary: AtomicFileSink | null,
    /** The drift report (--drift), committed with the output like the summary. */
    private readonly report: AtomicFileSink | null,
  ) {}

  /**
   * Opens everything now, so that an output that cannot be written stops the run before input is read. `resumed`:
   * a --resume run's output and sidecar, kept between runs under the checkpoint's names (see run/resume/).
   */
  static async open(options: Options, resumed: ResumedFiles | null = null): Promise<RunOutputs> {
    const { output, errors, summary } = options.targets;
    const opened: Array<{ abort(): Promise<void> }> = [];
    try {
      // The output first (its error names it), unless it is written in place: a FIFO opens only when its reader comes.
      const early = resumed ? await AtomicFileSink.resumable(output.path!, output.shown, resumed.output.temp, resumed.output.from, isGzipPath(output.shown))
        : output.inPlace ? null : await openOutput(output);
      if (early) opened.push(early);
      const keptSidecar = resumed && (await AtomicFileSink.resumable(errors.path!, errors.shown, resumed.sidecar.temp, resumed.sidecar.from));
      const sidecar = await Sidecar.open(errors, output.inPlace, keptSidecar);
      opened.push({ abort: async () => (await sidecar.abort(), await sidecar.release()) });
      const summaryFile = summary && !summary.inPlace ? await AtomicFileSink.open(summary.path!, false, summary.shown) : null;
      if (summaryFile) opened.push(summaryFile);
      const { report } = options.targets;
      const reportFile = report && !report.inPlace ? await AtomicFileSink.open(report.path!, false, report.shown) : null;
      if (reportFile) opened.push(reportFile);
      return new RunOutputs(options, early ?? (await openOutput(output)), sidecar, summaryFile, reportFile);
    } catch (err) {
      for (const o of opened) await o.abort();
      throw err;
    }
  }

  /**
   * Every record is accounted for: finish all files, then commit them together. `summary` gives the JSON text;
   * `stillGoing` may throw to stop the run after the files are finished and before anything is committed.
   */
  async commit(summary: () => string, report: () => string | null = () => null, stillGoing: () => void = () => undefined): Promise<void> {
    const steps = await this.finish(summary, report);
    stillGoing();
    if (steps.length > 0) await commitTogether(steps);
    this.committed();
  }

  /** Finishes every file (all write errors surface here) and says how to commit them; `report`: the drift report's text. */
  async finish(summary: () => string, report: () => string | null = () => null): Promise<CommitStep[]> {
    const steps: CommitStep[] = await this.sidecar.finish();
    if (this.sink instanceof AtomicFileSink || this.sink instanceof S3Sink) steps.push(await this.sink.finish());
    else await this.sink.commit();
    const reportText = report();
    if (this.report && reportText !== null) {
      await this.report.write(reportText);
      steps.push(await this.report.finish());
    } else if (this.options.targets.report && reportText !== null) {
      await writeSummary(this.options.targets.report, reportText); // in place, like the summary
    }
    if (this.summary) {
      await this.summary.write(summary());
      steps.push(await this.summary.finish());
    } else if (this.options.targets.summary) {
      // Written in place (standard output, a device): before the commit, so that its failure commits nothing.
      // Should the commit itself fail, the summary of the failure follows it.
      await writeSummary(this.options.targets.summary, summary());
    }
    return steps;
  }

  /** After the steps from finish() are committed. */
  committed(): void {
    this.summaryDone = true;
    if (this.sink instanceof AtomicFileSink || this.sink instanceof S3Sink) this.sink.committed();
    this.sidecar.committed();
    this.summary?.committed();
    this.report?.committed();
  }

  /** The run failed: nothing is committed; over the thresholds, the failures found are kept. */
  async abort(threshold: boolean): Promise<void> {
    await this.sink.abort();
    await this.summary?.abort();
    await this.report?.abort();
    if (threshold) await this.sidecar.keepAborted().catch(() => this.sidecar.abort());
    else await this.sidecar.abort();
  }

  /** The summary of a run that did not commit it (a failed run, or one written in place); `wait`: see writeSummary. */
  async writeSummary(text: string, wait = true): Promise<void> {
    if (this.summaryDone) return;
    await writeSummary(this.options.targets.summary, text, wait);
  }

  async close(): Promise<void> {
    await this.sidecar.release();
  }
}

/**
 * Writes the summary alone: atomically to a file, in place to standard output or a device. Without `wait` (a run
 * stopped by a signal) a FIFO gets it only if its reader is there now: waiting for one would keep the stopped run
 * from ending, and the signal that could end that wait has been spent.
 */
export async function writeSummary(target: OutputTarget | null, text: string, wait = true): Promise<void> {
  if (target === null) return;
  if (!wait && target.inPlace && target.path !== null && isFifo(target.path)) return writeIfRead(target, text);
  const sink = await openOutput(target, false);
  try {
    await sink.write(text);
    await sink.commit();
  } finally {
    await sink.abort();
  }
}

function isFifo(file: string): boolean {
  try {
    return statSync(file).isFIFO();
  } catch {
    return false;
  }
}

/** Writes to a FIFO if it has a reader now (opened without blocking: ENXIO when none); a small text fits its buffer. */
function writeIfRead(target: OutputTarget, text: string): void {
  let fd: number;
  try {
    fd = openSync(target.path!, constants.O_WRONLY | constants.O_NONBLOCK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENXIO') return; // no reader: no one to tell
    throw outputError(target.shown, err);
  }
  try {
    const bytes = Buffer.from(text);
    for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at);
  } catch (err) {
    throw outputError(target.shown, err);
  } finally {
    closeSync(fd);
  }
}

async function openOutput(target: OutputTarget, gzip = isGzipPath(target.shown)): Promise<Sink> {
  if (target.path === null) return new StdoutSink();
  if (target.inPlace) return InPlaceSink.open(target.path, target.shown, 'append', { gzip });
  if (isS3Url(target.path)) return S3Sink.open(target.path, gzip);
  return AtomicFileSink.open(target.path, gzip, target.shown);
}

/** What a stopped run leaves, for its one line: where the predictions and failures so far went. */
export function keptAfterStop(options: Options, sidecar: Pick<Sidecar, 'where'> | null): string {
  const output = options.targets.output;
  const predictions = options.outputDir !== null
    ? `nothing was written to ${options.outputDir} (older files there are untouched)`
    : output.path === null
    ? 'the predictions so far went to standard output'
    : output.inPlace
      ? `the predictions so far went to ${output.shown}`
      : `nothing was written to ${output.shown} (an older file there is untouched)`;
  const where = sidecar?.where;
  return where ? `${predictions}; the failures so far are in ${where}` : predictions;
}
