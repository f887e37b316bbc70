/**
 * A --resume run's checkpoint, from the command's side: found (or refused) before the outputs are opened, the
 * output and the sidecar opened where it left them, and committed or removed as the run ends.
 */
import { stat } from 'node:fs/promises';
import { RunError } from '../../errors.js';
import type { Options } from '../../options.js';
import { checkpointFiles, checkpointToResume, removeCheckpoint, type CheckpointFiles } from './checkpointer.js';
import { fingerprintJob, type JobFingerprint } from './fingerprint.js';
import type { Journal } from './journal.js';
import type { ResumedFiles } from '../../output/runOutputs.js';

export interface FoundCheckpoint {
  files: CheckpointFiles;
  fingerprint: JobFingerprint;
  /** The checkpoint to continue; null: this run starts one. */
  journal: Journal | null;
}


/**
 * With --resume, the checkpoint this run continues or starts (another job's is refused). Without, an old checkpoint
 * at the output is removed: the run replaces it.
 */
export async function findCheckpoint(options: Options, modelSha256: string): Promise<FoundCheckpoint | null> {
  const { output, errors } = options.targets;
  if (output.path === null || output.inPlace || options.outputDir !== null) return null;
  const files = checkpointFiles(output.path, errors.path ?? output.path);
  if (!options.resume) {
    await removeCheckpoint(files);
    return null;
  }
  const fingerprint = await fingerprintJob(options, modelSha256);
  const journal = await checkpointToResume(files, fingerprint);
  if (journal) {
    await checkKept(files.output, journal.point.outputBytes, files.journal);
    await checkKept(files.sidecar, journal.point.sidecarBytes, files.journal);
  }
  return { files, fingerprint, journal };
}

export function resumedFiles(found: FoundCheckpoint): ResumedFiles {
  const point = found.journal?.point;
  return { output: { temp: found.files.output, from: point?.outputBytes ?? 0 }, sidecar: { temp: found.files.sidecar, from: point?.sidecarBytes ?? 0 } };
}

/** A checkpoint's partial file must hold at least the bytes the checkpoint names. */
async function checkKept(file: string, bytes: number, journal: string): Promise<void> {
  const size = await stat(file).then((s) => s.size, () => -1);
  if (size >= bytes) return;
  const what = size < 0 ? 'is missing' : `is shorter (${size} bytes) than the checkpoint says (${bytes})`;
  throw new RunError('USAGE', `the checkpoint ${journal} cannot be continued: ${file} ${what}; run without --resume to start again`);
}
