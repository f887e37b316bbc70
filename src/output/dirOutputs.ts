/**
 * --output-dir DIR: one output and one sidecar per input, named after it (`DIR/<base>.<ext>`,
 * `DIR/<base>.errors.jsonl`; SageMaker's per-object convention). Each input's files are a RunOutputs of their own,
 * all opened before any input is read and all committed together at the end (with the summary), so a failed run
 * commits none of them. DIR may be an `s3://bucket/prefix/`; a local DIR is created when missing.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { RunError, type RecordErrorCode } from '../errors.js';
import type { Options, RecordFormat } from '../options.js';
import { commitTogether, outputError } from './commit.js';
import { checkDistinct, outputTarget, type NamedFile } from './outputPaths.js';
import { RunOutputs, writeSummary, type ResumedFiles } from './runOutputs.js';
import { checkpointFiles, checkpointPaths } from './checkpointFiles.js';
import { isS3Url } from '../storage/s3.js';

const EXTENSION: Record<RecordFormat, string> = { csv: 'csv', tsv: 'tsv', jsonl: 'jsonl', json: 'json', parquet: 'parquet' };

/** `day.csv.gz` → `day`; an object key's last part likewise. */
export function baseName(input: string): string {
  const name = path.posix.basename(input).replace(/\.gz$/i, '');
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(0, dot) : name;
}

/** DIR/<name>, DIR being a directory or an s3:// prefix (with or without its trailing /). */
function inDir(dir: string, name: string): string {
  if (isS3Url(dir)) return `${dir.endsWith('/') ? dir : `${dir}/`}${name}`;
  return path.join(dir, name);
}

export class DirOutputs {
  private constructor(
    private readonly options: Options,
    private readonly runs: RunOutputs[],
  ) {}

  /**
   * Each input's options as a run of its own (its output and sidecar under DIR, `formats` their output formats),
   * checked before anything is made: no two inputs with one name, no output that is another file of the run.
   */
  static plan(options: Options, formats: RecordFormat[]): Options[] {
    const dir = options.outputDir!;
    const bases = options.inputs.map(baseName);
    const twice = bases.find((b, i) => bases.indexOf(b) !== i);
    if (twice !== undefined) {
      throw new RunError('USAGE', `two inputs are named ${twice}: with --output-dir each input's output is named after it (${inDir(dir, `${twice}.…`)}); give inputs distinct names`);
    }
    const paths = options.inputs.map((_, i) => ({ output: inDir(dir, `${bases[i]}.${EXTENSION[formats[i]]}`), errors: inDir(dir, `${bases[i]}.errors.jsonl`) }));
    // Checked before DIR is made: a refused run leaves nothing behind, not even an empty directory.
    checkDistinct(namedFiles(options, paths));
    return paths.map((p, i) => ({ ...options, inputs: [options.inputs[i]], output: p.output, errorsPath: p.errors }));
  }

  /**
   * Opens every input's output and sidecar (`each`: from plan(); DIR made by makeOutputDir()), in input order;
   * `kept`: a --resume run's files of each input (null: it starts afresh).
   */
  static async open(options: Options, each: Options[], kept: Array<ResumedFiles | null> = []): Promise<DirOutputs> {
    const runs: RunOutputs[] = [];
    try {
      for (const [i, o] of each.entries()) {
        // The run's one summary is committed with the first input's files.
        const targets = { output: outputTarget(o.output!), errors: outputTarget(o.errorsPath), summary: i === 0 ? options.targets.summary : null, report: null };
        runs.push(await RunOutputs.open({ ...o, targets }, kept[i] ?? null));
      }
    } catch (err) {
      for (const r of runs) await r.abort(false);
      throw err;
    }
    return new DirOutputs(options, runs);
  }

  /** The files of the i-th input. */
  forInput(i: number): RunOutputs {
    return this.runs[i];
  }

  /** The failures of all inputs, for the summary: by code, and where they are (DIR). */
  get sidecar(): { byCode: Partial<Record<RecordErrorCode, number>>; where: string | null } {
    const byCode: Partial<Record<RecordErrorCode, number>> = {};
    for (const r of this.runs) for (const [code, n] of Object.entries(r.sidecar.byCode)) byCode[code as RecordErrorCode] = (byCode[code as RecordErrorCode] ?? 0) + n;
    const where = this.runs.some((r) => r.sidecar.where !== null) ? this.options.outputDir : null;
    return { byCode, where };
  }

  /** As RunOutputs.commit: every input's files finished, then (unless `stillGoing` throws) committed together. */
  async commit(summary: () => string, stillGoing: () => void = () => undefined): Promise<void> {
    const steps = [];
    for (const r of this.runs) steps.push(...(await r.finish(summary)));
    stillGoing();
    if (steps.length > 0) await commitTogether(steps);
    for (const r of this.runs) r.committed();
  }

  async abort(threshold: boolean): Promise<void> {
    for (const r of this.runs) await r.abort(threshold);
  }

  async writeSummary(text: string, wait = true): Promise<void> {
    await (this.runs.length > 0 ? this.runs[0].writeSummary(text, wait) : writeSummary(this.options.targets.summary, text, wait));
  }

  async close(): Promise<void> {
    for (const r of this.runs) await r.close();
  }
}

/** DIR, made when missing (its parents too; an s3:// prefix needs nothing); a file at that path is an error naming it. */
export async function makeOutputDir(dir: string): Promise<void> {
  if (isS3Url(dir)) return;
  try {
    await mkdir(dir, { recursive: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new RunError('OUTPUT', `cannot write into --output-dir ${dir}: it is a file, not a directory`);
    throw outputError(dir, err);
  }
}

/** Every input, the model, every output and sidecar, and the summary: no output may be any other file of the run. */
function namedFiles(options: Options, paths: Array<{ output: string; errors: string }>): NamedFile[] {
  const files: NamedFile[] = options.inputs.map((name) => ({ label: `input ${name}`, name, role: 'input' }));
  files.push({ label: `the model ${options.model}`, name: options.model, role: 'model' });
  for (const p of paths) {
    files.push({ label: `the output ${p.output}`, name: p.output, role: 'output' });
    files.push({ label: `the sidecar ${p.errors}`, name: p.errors, role: 'output' });
    // Written with --resume, removed without: an input there is refused, never removed or written over.
    if (!isS3Url(p.output)) for (const name of checkpointPaths(checkpointFiles(p.output, p.errors))) files.push({ label: `the checkpoint file ${name} (batch-score's, for --resume)`, name, role: 'output' });
  }
  if (options.summaryPath !== null) files.push({ label: `--summary ${options.summaryPath}`, name: options.summaryPath, role: 'output' });
  return files;
}
