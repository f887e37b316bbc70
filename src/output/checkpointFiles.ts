/**
 * The names of a --resume run's checkpoint files (issue 17): beside each output, under names that say what they
 * are. They are outputs of the run like any other (a run with --resume writes them, a run without removes them),
 * so the identity checks of output/outputPaths.ts count them too.
 */
import type { Options } from '../options.js';

/** Where a checkpoint lives: beside the output and the sidecar. */
export interface CheckpointFiles {
  journal: string;
  /** The points reached since the journal's (run/resume/progressLog.ts). */
  log: string;
  output: string;
  sidecar: string;
  /**
   * A JSON document's failures as its tail lists them (its `errors`), one `[record, message]` line each, appended as
   * they are written: a point names the file's length, never the list itself.
   */
  failures: string;
}

export function checkpointFiles(output: string, sidecar: string): CheckpointFiles {
  return { journal: `${output}.resume.json`, log: `${output}.resume.log`, output: `${output}.resume.partial`, sidecar: `${sidecar}.resume.partial`, failures: `${output}.resume.failures` };
}

/**
 * The checkpoint files of a run writing these targets, whether it resumes or not (a run without --resume removes
 * an old checkpoint): null when it has none (a stream output; with --output-dir, each input's output has its own).
 */
export function checkpointFilesFor(targets: Options['targets']): CheckpointFiles | null {
  const { output, errors } = targets;
  if (output.path === null || output.inPlace) return null;
  return checkpointFiles(output.path, errors.path ?? output.path);
}

/** One name (not per process): a run killed while writing it leaves nothing that the next run does not replace or remove. */
export function journalTemporary(file: string): string {
  return `${file}.tmp`;
}

/** Every path a checkpoint writes or removes (the journal's temporary too), each once (a sidecar on stdout has none). */
export function checkpointPaths(files: CheckpointFiles): string[] {
  return [...new Set([files.journal, journalTemporary(files.journal), files.log, files.output, files.sidecar, files.failures])];
}
