/**
 * A --resume run's checkpoint, from the command's side: found (or refused) before the outputs are opened, the
 * output and the sidecar opened where it left them, and committed or removed as the run ends.
 */
import { stat } from 'node:fs/promises';
import { RunError } from '../../errors.js';
import type { Options } from '../../options.js';
import type { ResumedFiles } from '../../output/runOutputs.js';
import { Checkpointer, checkpointToResume, refuseSpecialCheckpointFiles, removeCheckpoint, type CheckpointedFile } from './checkpointer.js';
import { checkpointFilesFor, type CheckpointFiles } from '../../output/checkpointFiles.js';
import type { WriterCounts } from '../../output/orderedWriter.js';
import type { Sidecar } from '../../output/sidecar.js';
import { fingerprintJob, type JobFingerprint } from './fingerprint.js';
import { removeJournal, type CheckpointPoint, type Journal } from './journal.js';
import { asLogged, furthestWritten, type LoggedPoint } from './progressLog.js';
import { ListedFailures } from './listedFailures.js';
import { pointAtEnd, restoreCounts, type RunResume } from './resumeRun.js';
import { keptFromJson, keptToJson } from './monitorState.js';
import type { MonitorKept, RunMonitor } from '../../monitor/runMonitor.js';

export class RunCheckpoint {
  private checkpointer: Checkpointer | null = null;
  private failures: ListedFailures | null = null;

  private constructor(
    private readonly files: CheckpointFiles,
    private readonly fingerprint: JobFingerprint,
    /** The checkpoint this run continues, its point moved on to where the run starts; null: it starts one. */
    private readonly journal: Journal | null,
    /** The logged points from the journal's on disk to where the run starts: its progress log starts with them. */
    private readonly logged: LoggedPoint[] = [],
  ) {}

  /**
   * With --resume, the checkpoint this run continues or starts (another job's is refused, and so is one whose
   * partial files do not hold what it names). Without, an old checkpoint at the output is removed: the run
   * replaces it.
   */
  static async find(options: Options, modelSha256: string, files = checkpointFilesFor(options.targets)): Promise<RunCheckpoint | null> {
    if (files === null) return null;
    await refuseSpecialCheckpointFiles(files);
    if (!options.resume) {
      await removeCheckpoint(files);
      return null;
    }
    const fingerprint = await fingerprintJob(options, modelSha256);
    const saved = await checkpointToResume(files, fingerprint);
    if (saved) {
      await checkKept(files.output, saved.point.outputBytes, files.journal);
      await checkKept(files.sidecar, saved.point.sidecarBytes, files.journal);
      await checkKept(files.failures, saved.point.failuresBytes, files.journal);
    }
    if (saved === null) return new RunCheckpoint(files, fingerprint, null);
    // A run that monitors keeps its profile and agreement in the journal only: it goes on from the journal's point.
    const monitors = options.monitor.baseline !== null || options.monitor.challenger !== null;
    const logged = saved.complete || monitors ? [asLogged(saved.point)] : await furthestWritten(files.log, saved.point, files);
    return new RunCheckpoint(files, fingerprint, { ...saved, point: withoutLogFields(logged[logged.length - 1]!) }, logged);
  }

  /** The input's output is complete (--output-dir): the run skips it and commits its files as they are. */
  get complete(): boolean {
    return this.journal?.complete === true;
  }

  /** A complete input's counts and sidecar's, as the run that wrote it left them. */
  restoreCompleted(counts: WriterCounts, sidecar: Sidecar): void {
    restoreCounts(this.journal!.point, counts, sidecar);
  }

  /** The input is written to its end: the journal says so (--output-dir: a later run skips it). */
  async inputDone(counts: WriterCounts, sidecar: Sidecar): Promise<void> {
    await this.checkpointer?.complete(pointAtEnd(counts, sidecar));
  }

  /** The monitoring the checkpoint's run had merged (see monitorState.ts); null when it keeps none. */
  get monitor(): MonitorKept | null {
    const kept = this.journal?.monitor;
    return kept === undefined ? null : keptFromJson(kept);
  }

  /** Records read before the checkpoint this run continues (undefined: it starts afresh). */
  get resumedFrom(): number | undefined {
    return this.journal?.point.records;
  }

  /** Where the checkpoint is, for the line that says the run was resumed. */
  get where(): string {
    return `checkpoint ${this.files.journal}`;
  }

  /** Where the output and the sidecar are written, and how much of them is kept. */
  get kept(): ResumedFiles {
    const point = this.journal?.point;
    return {
      output: { temp: this.files.output, from: point?.outputBytes ?? 0 },
      sidecar: { temp: this.files.sidecar, from: point?.sidecarBytes ?? 0 },
    };
  }

  /**
   * The run's side: where it starts (and the JSON document's failures listed before), and the checkpointer that
   * takes the points it reaches in these files.
   */
  async start(output: CheckpointedFile, sidecar: CheckpointedFile, monitor: RunMonitor | null = null): Promise<RunResume> {
    const start = this.journal?.point ?? null;
    const failures = (this.failures = await ListedFailures.open(this.files.failures, start?.failuresBytes ?? 0));
    const keep = monitor && { take: () => monitor.kept(), json: (kept: unknown) => keptToJson(kept as MonitorKept) };
    const checkpointer = (this.checkpointer = new Checkpointer(this.files, this.fingerprint, { output, sidecar, failures }, start === null ? [] : this.logged, keep));
    return {
      start,
      listed: failures.before,
      reached: (point, listed) => {
        failures.add(listed);
        checkpointer.offer(point);
      },
    };
  }

  /**
   * Before the outputs are committed: a checkpoint being written is finished (its failure surfaces), and the journal
   * removed. A kill between here and the commit leaves partial files without a journal, from which the next run
   * starts afresh; a journal left beside committed (renamed) files would refuse every later run.
   */
  async settle(): Promise<void> {
    await this.checkpointer?.settle();
    await this.failures?.close();
    await removeJournal(this.files.journal);
  }

  /** The outputs are committed: the checkpoint is of no more use. */
  async completed(): Promise<void> {
    await removeCheckpoint(this.files);
  }

  /** The run stopped: it keeps what it wrote; one over the error thresholds would stop there again, and does not. */
  async stopped(threshold: boolean): Promise<void> {
    if (threshold) await removeCheckpoint(this.files);
    else await this.checkpointer?.commit().catch(() => undefined);
    await this.checkpointer?.settle().catch(() => undefined);
    await this.failures?.close().catch(() => undefined);
  }
}

/**
 * A logged point as a journal names it. The run starts from the furthest logged point the files hold as written,
 * but the journal on disk is not moved on to it here: the run's first checkpoint, within a second, fsyncs the files
 * and names a later point (fsyncing up to a second of a killed run's output first cost ~30 ms of the resumed run's
 * start). A kill before that leaves the journal's point, and a log that walks from it past this one again.
 */
function withoutLogFields(p: LoggedPoint): CheckpointPoint {
  const { outputDigest: _o, sidecarDigest: _s, failuresDigest: _f, boot: _b, ...point } = p;
  return point;
}

/** A checkpoint's partial file must hold at least the bytes the checkpoint names. */
async function checkKept(file: string, bytes: number, journal: string): Promise<void> {
  const size = await stat(file).then((s) => s.size, () => -1);
  if (size >= bytes) return;
  const what = size < 0 ? 'is missing' : `is shorter (${size} bytes) than the checkpoint says (${bytes})`;
  throw new RunError('USAGE', `the checkpoint ${journal} cannot be continued: ${file} ${what}; run without --resume to start again`);
}
