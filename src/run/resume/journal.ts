/**
 * The checkpoint's journal (issue 17): the job's fingerprint and the last committed point — where reading stands
 * and how long the output and the sidecar were at that moment. It is replaced atomically (written beside, fsynced,
 * renamed, the directory fsynced), and only after the output and the sidecar themselves are fsynced up to the
 * lengths it names: after a crash or a power loss, what the journal says is on disk.
 */
import { open, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { RunError } from '../../errors.js';
import type { JobFingerprint } from './fingerprint.js';
import { journalTemporary } from '../../output/checkpointFiles.js';

export const JOURNAL_VERSION = 2;

/** A place in the run where everything before has been written: the next run starts reading here. */
export interface CheckpointPoint {
  /** Index of the input (in the order given) and the byte offset in it (decompressed, for gzip) of the next record. */
  input: number;
  offset: number;
  /** Records and lines of that input before `offset` (its header line counted in `lines`, not in `rows`). */
  rows: number;
  lines: number;
  /** Run totals before the point. */
  records: number;
  scored: number;
  failed: number;
  /** Bytes of the output, of the sidecar and of the listed failures (CheckpointFiles.failures) written before the point. */
  outputBytes: number;
  sidecarBytes: number;
  failuresBytes: number;
  /** What the writer needs to go on exactly (where the JSON document stands, the counts…): JSON, opaque here. */
  writer: unknown;
}

export interface Journal {
  version: number;
  fingerprint: JobFingerprint;
  point: CheckpointPoint;
  /**
   * The input's output is complete (--output-dir): `point` is after its last record and the writer's end, the
   * files fsynced to its lengths; a resumed run skips that input and commits the files as they are.
   */
  complete?: true;
  /**
   * The run's monitoring merged up to `point` (--baseline, --challenger: run/resume/monitorState.ts), taken with
   * it; only in the journal, so a run that monitors goes on from the journal's point (not a later logged one).
   */
  monitor?: unknown;
}

/** `null` when there is no journal; a run error when there is one that cannot be read. */
export async function readJournal(file: string): Promise<Journal | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new RunError('USAGE', `cannot read the checkpoint ${file}: ${(err as Error).message}`);
  }
  let journal: Journal;
  try {
    journal = JSON.parse(text) as Journal;
  } catch {
    throw new RunError('USAGE', `the checkpoint ${file} is damaged (not JSON); remove it and run without --resume`);
  }
  if (journal?.version !== JOURNAL_VERSION) {
    throw new RunError('USAGE', `the checkpoint ${file} was written by another version of batch-score; remove it and run without --resume`);
  }
  return journal;
}

/** Replaces the journal so that a crash at any moment leaves the old one or the new one, whole. */
export async function writeJournal(file: string, journal: Journal): Promise<void> {
  const temporary = journalTemporary(file);
  const handle = await open(temporary, 'w');
  try {
    await handle.writeFile(`${JSON.stringify(journal)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporary, file);
  await fsyncPath(path.dirname(file)); // makes the rename durable
}

export async function removeJournal(file: string): Promise<void> {
  await rm(file, { force: true });
  await rm(journalTemporary(file), { force: true });
}

/** fsync of a file (its bytes on disk) or of a directory (a rename in it durable). */
async function fsyncPath(name: string): Promise<void> {
  const handle = await open(name, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
