/**
 * Commits checkpoints while a --resume run writes (issue 17). After a block is written the run offers the point it
 * has reached, with the files' lengths at that moment; at most every CHECKPOINT_MS (and once more when the run is
 * stopped by a signal) the output and the sidecar are fsynced and the journal replaced to name that point. A kill
 * at any moment leaves the last journal, and files at least as long as it says: the next run cuts them back to it
 * and carries on.
 */
import { rm } from 'node:fs/promises';
import { sizeFromEnv } from '../../input/testSizes.js';
import { JOURNAL_VERSION, readJournal, removeJournal, writeJournal, type CheckpointPoint, type Journal } from './journal.js';
import { jobDifferences, type JobFingerprint } from './fingerprint.js';
import { RunError } from '../../errors.js';

/** Where a checkpoint lives: beside the output and the sidecar, under names that say what they are. */
export interface CheckpointFiles {
  journal: string;
  output: string;
  sidecar: string;
}

export function checkpointFiles(output: string, sidecar: string): CheckpointFiles {
  return { journal: `${output}.resume.json`, output: `${output}.resume.partial`, sidecar: `${sidecar}.resume.partial` };
}

/**
 * A second between checkpoints: a kill loses at most that much work, and a checkpoint (two fsyncs and a small
 * file, while writing goes on) costs a few milliseconds, within the 3% issue 17 allows (bench/resume.mjs measures
 * it); tests shrink it (BATCH_SCORE_CHECKPOINT_MS) so that random kills fall between many.
 */
const CHECKPOINT_MS = sizeFromEnv('BATCH_SCORE_CHECKPOINT_MS', 1000);

/** The point reached, without the file lengths (the checkpointer takes them when the point is offered). */
export type Reached = Omit<CheckpointPoint, 'outputBytes' | 'sidecarBytes'>;

/** The files a checkpoint cuts back to its lengths: their lengths now, and a way to put them on disk. */
export interface CheckpointedFile {
  readonly length: number;
  sync(): Promise<void>;
}

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
  private committed: CheckpointPoint | null = null;
  private committing: Promise<void> = Promise.resolve();
  private failure: unknown;

  constructor(
    private readonly files: CheckpointFiles,
    private readonly fingerprint: JobFingerprint,
    private readonly output: CheckpointedFile,
    private readonly sidecar: CheckpointedFile,
  ) {}

  /**
   * After a block is written, before the next one is: the point and the files' lengths now belong together. It is
   * committed when the last checkpoint is old enough, while the run goes on writing (later bytes are cut off again).
   */
  offer(reached: Reached): void {
    this.point = { ...reached, outputBytes: this.output.length, sidecarBytes: this.sidecar.length };
    if (Date.now() - this.last >= CHECKPOINT_MS) void this.commit().catch(() => undefined);
  }

  /** Commits the last point offered (also when the run is stopped: it keeps as much as it wrote). */
  commit(): Promise<void> {
    const point = this.point;
    if (point === null || point === this.committed) return this.committing;
    this.committed = point;
    this.last = Date.now();
    this.committing = this.committing.then(async () => {
      if (this.failure !== undefined) return;
      try {
        await this.output.sync();
        await this.sidecar.sync();
        await writeJournal(this.files.journal, { version: JOURNAL_VERSION, fingerprint: this.fingerprint, point });
      } catch (err) {
        this.failure = err;
      }
    });
    return this.committing.then(() => {
      if (this.failure !== undefined) throw this.failure;
    });
  }

  /** Waits for a commit under way (before the files are renamed into place); throws its failure. */
  async settle(): Promise<void> {
    await this.committing;
    if (this.failure !== undefined) throw this.failure;
  }

  /** The run completed and its outputs are committed: the checkpoint is of no more use. */
  async remove(): Promise<void> {
    await removeCheckpoint(this.files);
  }
}

/** Removes a checkpoint's files (a completed run's, or an old one a run without --resume replaced). */
export async function removeCheckpoint(files: CheckpointFiles): Promise<void> {
  await removeJournal(files.journal);
  await rm(files.output, { force: true });
  await rm(files.sidecar, { force: true });
}
