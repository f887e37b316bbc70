/**
 * Commits checkpoints while a --resume run writes (issue 17). After a block is written the run offers the point it
 * has reached, with the files' lengths at that moment; at most every CHECKPOINT_MS (and once more when the run is
 * stopped by a signal) the output and the sidecar are fsynced and the journal replaced to name that point. A kill
 * at any moment leaves the last journal, and files at least as long as it says: the next run cuts them back to it
 * and carries on.
 */
import { lstat, rm } from 'node:fs/promises';
import { sizeFromEnv } from '../../input/testSizes.js';
import { JOURNAL_VERSION, readJournal, removeJournal, writeJournal, type CheckpointPoint, type Journal } from './journal.js';
import { jobDifferences, type JobFingerprint } from './fingerprint.js';
import { ProgressLog, type LoggedPoint } from './progressLog.js';
import { RunError } from '../../errors.js';
import { checkpointPaths, type CheckpointFiles } from '../../output/checkpointFiles.js';

/**
 * The checkpoint's paths are batch-score's own, written and removed without asking: anything there but a regular
 * file (a directory, a FIFO, a device, a symlink that would be written through) is refused rather than removed or
 * written into, as for any output (issue 10).
 */
export async function refuseSpecialCheckpointFiles(files: CheckpointFiles): Promise<void> {
  for (const file of checkpointPaths(files)) {
    const st = await lstat(file).catch(() => null);
    if (st === null || st.isFile()) continue;
    const kind = st.isDirectory() ? 'a directory' : st.isSymbolicLink() ? 'a symbolic link' : st.isFIFO() ? 'a FIFO' : 'a special file';
    throw new RunError('OUTPUT', `cannot keep a checkpoint at ${file}: it is ${kind}, not a regular file (batch-score writes and removes its checkpoint there); move it away`);
  }
}

/**
 * A second between checkpoints: a kill loses at most that much work, and a checkpoint (two fsyncs and a small
 * file, while writing goes on) costs a few milliseconds, within the 3% issue 17 allows (bench/resume.mjs measures
 * it); tests shrink it (BATCH_SCORE_CHECKPOINT_MS) so that random kills fall between many.
 */
const CHECKPOINT_MS = sizeFromEnv('BATCH_SCORE_CHECKPOINT_MS', 1000);

/**
 * What else the journal keeps with each point: a copy taken as the point is offered (after every block, so it must
 * be cheap: a run's profile merged so far), made JSON only when the point is committed (about once a second).
 */
export interface KeptWithPoint {
  take(): unknown;
  json(taken: unknown): unknown;
}

/** The point reached, without the file lengths (the checkpointer takes them when the point is offered). */
export type Reached = Omit<CheckpointPoint, 'outputBytes' | 'sidecarBytes' | 'failuresBytes'>;

/**
 * The files a checkpoint cuts back to its lengths: their lengths now, the digest of the bytes written since the
 * last point, and a way to put them on disk.
 */
export interface CheckpointedFile {
  readonly length: number;
  takeDigest(): string;
  sync(): Promise<void>;
}

/** The output, the sidecar and the JSON document's listed failures: the files a checkpoint names the lengths of. */
export type CheckpointedFiles = Record<'output' | 'sidecar' | 'failures', CheckpointedFile>;

/**
 * The checkpoint a --resume run continues: null for a fresh start (none, or one this run replaces); a USAGE error
 * naming every difference when the checkpoint is another job's (never splice two jobs into one output).
 */
export async function checkpointToResume(files: CheckpointFiles, now: JobFingerprint): Promise<Journal | null> {
  const journal = await readJournal(files.journal);
  if (journal === null) return null;
  const differences = jobDifferences(journal.fingerprint, now);
  if (differences.length > 0) {
    throw new RunError('USAGE', `the checkpoint ${files.journal} is of another job: ${differences.join('; ')}; run without --resume to start again (it replaces the checkpoint)`);
  }
  return journal;
}

export class Checkpointer {
  private last = Date.now();
  private point: CheckpointPoint | null = null;
  /** The run's monitoring as it was when `point` was offered (what `keep.take` gave), for the journal. */
  private pointKept: unknown;
  private committed: CheckpointPoint | null = null;
  private committing: Promise<void> = Promise.resolve();
  private failure: unknown;
  /** complete() was called: the journal is final. */
  private done = false;
  private readonly log: ProgressLog;

  constructor(
    private readonly files: CheckpointFiles,
    private readonly fingerprint: JobFingerprint,
    private readonly tracked: CheckpointedFiles,
    /** The points the progress log starts with: the journal's and those up to where the run starts (none: afresh). */
    logged: LoggedPoint[],
    /** What else the journal keeps with each point (the run's monitoring so far). */
    private readonly keep: KeptWithPoint | null = null,
  ) {
    this.log = new ProgressLog(files.log, logged);
  }

  /**
   * After a block is written, before the next one is: the point and the files' lengths now belong together. It goes
   * to the progress log at once, and is committed when the last checkpoint is old enough, while the run goes on
   * writing (later bytes are cut off again).
   */
  offer(reached: Reached): void {
    const { output, sidecar, failures } = this.tracked;
    const point = (this.point = this.withLengths(reached));
    // Taken now: by the time the point is committed (or the run is stopped) later blocks may be merged.
    this.pointKept = this.keep?.take();
    this.log.append({ ...point, outputDigest: output.takeDigest(), sidecarDigest: sidecar.takeDigest(), failuresDigest: failures.takeDigest() });
    if (Date.now() - this.last >= CHECKPOINT_MS) void this.commit().catch(() => undefined);
  }

  /**
   * The input is written to its end (the writer's tail too): the files are fsynced and the journal says so, after
   * which nothing else is committed (a later stop must not take the journal back to an earlier point).
   */
  async complete(reached: Reached): Promise<void> {
    this.done = true;
    await this.settle();
    const point = this.withLengths(reached);
    await this.sync();
    await writeJournal(this.files.journal, { version: JOURNAL_VERSION, fingerprint: this.fingerprint, point, complete: true });
    await rm(this.files.log, { force: true });
  }

  /** Commits the last point offered (also when the run is stopped: it keeps as much as it wrote). */
  commit(): Promise<void> {
    const { point, pointKept } = this;
    if (this.done || point === null || point === this.committed) return this.committing;
    this.committed = point;
    this.last = Date.now();
    this.committing = this.committing.then(async () => {
      if (this.failure !== undefined) return;
      try {
        await this.sync();
        const monitor = this.keep === null ? {} : { monitor: this.keep.json(pointKept) };
        await writeJournal(this.files.journal, { version: JOURNAL_VERSION, fingerprint: this.fingerprint, point, ...monitor });
        this.log.committed(point);
      } catch (err) {
        this.failure = err;
      }
    });
    return this.committing.then(() => {
      if (this.failure !== undefined) throw this.failure;
    });
  }

  private withLengths(reached: Reached): CheckpointPoint {
    const { output, sidecar, failures } = this.tracked;
    return { ...reached, outputBytes: output.length, sidecarBytes: sidecar.length, failuresBytes: failures.length };
  }

  /** The files on disk up to their lengths now (before a journal names them). */
  private async sync(): Promise<void> {
    for (const file of Object.values(this.tracked)) await file.sync();
  }

  /** Waits for a commit under way (before the files are renamed into place); throws its failure. */
  async settle(): Promise<void> {
    await this.committing;
    this.log.close();
    if (this.failure !== undefined) throw this.failure;
  }
}

/** Removes a checkpoint's files (a completed run's, or an old one a run without --resume replaced). */
export async function removeCheckpoint(files: CheckpointFiles): Promise<void> {
  await removeJournal(files.journal);
  await rm(files.log, { force: true });
  await rm(files.output, { force: true });
  await rm(files.sidecar, { force: true });
  await rm(files.failures, { force: true });
}
