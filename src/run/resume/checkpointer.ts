/**
 * Commits checkpoints while a --resume run writes (issue 17). After a unit is written the writer offers the point
 * it has reached; at most every `intervalMs` (and once more when the run is stopped by a signal) the output and
 * the sidecar are fsynced and the journal replaced to name that point. A kill at any moment leaves the last
 * journal, and files at least as long as it says: the next run cuts them back to it and carries on.
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
 * A few seconds between checkpoints: each costs two fsyncs and a small file, so its share of a run stays far below
 * the 3% issue 17 allows; tests shrink it (BATCH_SCORE_CHECKPOINT_MS) so that random kills fall between many.
 */
const CHECKPOINT_MS = sizeFromEnv('BATCH_SCORE_CHECKPOINT_MS', 5000);

/** The point reached, without the file lengths (the checkpointer measures them when it commits). */
export type Reached = Omit<CheckpointPoint, 'outputBytes' | 'sidecarBytes'>;

export interface SyncedLengths {
  outputBytes: number;
  sidecarBytes: number;
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
  private reached: Reached | null = null;
  private committing: Promise<void> = Promise.resolve();

  constructor(
    private readonly files: CheckpointFiles,
    private readonly fingerprint: JobFingerprint,
    private readonly sync: () => Promise<SyncedLengths>,
  ) {}

  /** After a unit is written: remember the point; commit it when the last checkpoint is old enough. */
  async offer(reached: Reached): Promise<void> {
    this.reached = reached;
    if (Date.now() - this.last < CHECKPOINT_MS) return;
    await this.commit();
  }

  /** Commits the last point offered (a stopped run keeps as much as it wrote). */
  async commit(): Promise<void> {
    const reached = this.reached;
    if (reached === null) return;
    this.committing = this.committing.then(async () => {
      const lengths = await this.sync();
      await writeJournal(this.files.journal, { version: JOURNAL_VERSION, fingerprint: this.fingerprint, point: { ...reached, ...lengths } });
      this.last = Date.now();
    });
    await this.committing;
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
