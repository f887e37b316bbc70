/**
 * What makes a job the same job (issue 17): `--resume` continues a checkpoint only when the inputs are the same
 * files with the same size and modification time, the model has the same bytes, and no option that changes the
 * output differs. Anything else would splice two different jobs' records into one output.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Options } from '../../options.js';

export interface InputIdentity {
  name: string;
  size: number;
  mtimeMs: number;
  dev: number;
  ino: number;
}

export interface JobFingerprint {
  inputs: InputIdentity[];
  /** sha256 of the model's bytes. */
  model: string;
  /** The options that change the output's or the sidecar's bytes, by flag name. */
  options: Record<string, unknown>;
}

/**
 * Flags whose value changes what is written. Left out on purpose: --workers, --batch-size, --threads, --flush-ms
 * (output is byte-identical at any parallelism and batch size), --retries and thresholds (they decide whether a
 * run goes on, not what it writes), and display flags.
 */
function outputChangingOptions(o: Options): Record<string, unknown> {
  return {
    '--features': o.features,
    '--keep': o.keep,
    '--ignore': o.ignore,
    '--outputs': o.outputs,
    '--on-error': o.onError,
    '--missing': o.missing,
    '--input-format': o.inputFormat,
    '--output-format': o.outputFormat,
    '--compression': o.compression,
    '--shard': o.shard === null ? null : `${o.shard.index}/${o.shard.count}`,
    '--delimiter': o.delimiter,
    '--no-header': !o.header,
    '--max-record-bytes': o.maxRecordBytes,
    '-o': o.output === null ? null : path.resolve(o.output),
    '--errors': path.resolve(o.errorsPath),
  };
}

export async function fingerprintJob(options: Options, modelSha256: string): Promise<JobFingerprint> {
  const inputs: InputIdentity[] = [];
  for (const name of options.inputs) {
    const s = await stat(name);
    inputs.push({ name: path.resolve(name), size: s.size, mtimeMs: s.mtimeMs, dev: s.dev, ino: s.ino });
  }
  return { inputs, model: modelSha256, options: { ...outputChangingOptions(options), ...(await monitoringOptions(options)) } };
}

/**
 * Monitoring's files and column: the profile kept in a checkpoint is counted in the baseline's bins and ranges,
 * the agreement against the challenger's predictions, and --ood adds a column; each by content, not only path.
 */
async function monitoringOptions(o: Options): Promise<Record<string, unknown>> {
  const { baseline, challenger, ood } = o.monitor;
  return { '--baseline': await withDigest(baseline), '--challenger': await withDigest(challenger), '--ood': ood };
}

async function withDigest(file: string | null): Promise<string | null> {
  if (file === null) return null;
  const sha256 = createHash('sha256').update(await readFile(file)).digest('hex');
  return `${path.resolve(file)} (sha256 ${sha256.slice(0, 12)}…)`;
}

/** What differs between a checkpoint's job and this one, one phrase each (empty: the same job). */
export function jobDifferences(saved: JobFingerprint, now: JobFingerprint): string[] {
  const found: string[] = [];
  const savedNames = saved.inputs.map((i) => i.name);
  const nowNames = now.inputs.map((i) => i.name);
  if (savedNames.join('\0') !== nowNames.join('\0')) {
    found.push(`the inputs differ (checkpoint: ${savedNames.join(', ')}; now: ${nowNames.join(', ')})`);
  } else {
    saved.inputs.forEach((was, i) => {
      const is = now.inputs[i]!;
      if (was.dev !== is.dev || was.ino !== is.ino) found.push(`${is.name} is another file than the checkpoint's`);
      else if (was.size !== is.size) found.push(`${is.name} changed size (${was.size} → ${is.size} bytes)`);
      else if (was.mtimeMs !== is.mtimeMs) found.push(`${is.name} was modified since the checkpoint`);
    });
  }
  if (saved.model !== now.model) found.push(`the model's bytes differ (sha256 ${saved.model.slice(0, 12)}… → ${now.model.slice(0, 12)}…)`);
  for (const [flag, value] of Object.entries(now.options)) {
    const was = saved.options[flag];
    // A flag a checkpoint of an earlier version does not name was not given then.
    if (JSON.stringify(was ?? null) !== JSON.stringify(value ?? null)) found.push(`${flag} differs (${show(was)} → ${show(value)})`);
  }
  return found;
}

function show(value: unknown): string {
  if (value === null || value === undefined) return 'not given';
  return Array.isArray(value) ? value.join(',') || 'none' : String(value);
}
