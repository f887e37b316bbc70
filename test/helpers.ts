/**
 * Black-box test helpers: run the built CLI the way a user does, in a temporary working directory
 * (xsv's Workdir, zx's CLI tests).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import fc from 'fast-check';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = path.join(ROOT, 'bin', 'batch-score.js');
export const MODELS = path.join(ROOT, 'fixtures', 'models');
export const model = (name: string): string => path.join(MODELS, name);

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  stdin?: string | Buffer;
  env?: NodeJS.ProcessEnv;
}

export function runCli(args: string[], opts: RunOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: opts.cwd ?? workdir(),
      env: { ...process.env, NO_COLOR: '1', ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolve({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }),
    );
    child.stdin.on('error', () => undefined); // the CLI may exit before reading all of stdin
    if (opts.stdin !== undefined) child.stdin.end(opts.stdin);
    else child.stdin.end();
  });
}

const workdirs: string[] = [];
// Each test file runs in its own process: its directories go when it exits, whether its tests passed or not.
process.on('exit', () => workdirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** A fresh temporary directory, optionally with files in it; removed when the test process exits. */
export function workdir(files: Record<string, string | Buffer> = {}): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'batch-score-test-'));
  workdirs.push(dir);
  for (const [name, content] of Object.entries(files)) writeFileSync(path.join(dir, name), content);
  return dir;
}

export function read(dir: string, name: string): string {
  return readFileSync(path.join(dir, name), 'utf8');
}

export function exists(dir: string, name: string): boolean {
  return existsSync(path.join(dir, name));
}

// ---- issue 10: outputs that must leave nothing behind, special files, waiting for a run

/** Files other than the ones named: temporaries, backups, lock files left behind. */
export function leftovers(dir: string): string[] {
  return readdirSync(dir).filter((f) => /\.(tmp|bak|lock)$/.test(f));
}

/** Polls every 20 ms until `ok` (at most 20 s). */
export async function until(what: string, ok: () => boolean): Promise<void> {
  for (let waited = 0; !ok(); waited += 20) {
    if (waited >= 20_000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Whether a thread of the process waits in open() for the other end of a FIFO (Linux names the kernel function). */
export function waitsOnFifo(pid: number): boolean {
  try {
    return readdirSync(`/proc/${pid}/task`).some((t) => {
      try {
        return readFileSync(`/proc/${pid}/task/${t}/wchan`, 'utf8').includes('wait_for_partner');
      } catch {
        return false; // the thread has ended
      }
    });
  } catch {
    return false; // the process has ended
  }
}

/**
 * Runs a shell script in a private mount namespace with a tmpfs over /dev holding fresh null and full devices and
 * the fd links, so that a faulty run (as root) can never harm the machine's own /dev/null, /dev/full or
 * /dev/stdout. null when that is not permitted.
 */
export function inPrivateDev(script: string, cwd: string): { status: number | null; stdout: string; stderr: string } | null {
  const probe = spawnSync('unshare', ['-m', 'true'], { encoding: 'utf8' });
  if (probe.status !== 0) return null;
  const setup = [
    'mount -t tmpfs tmpfs /dev',
    'mknod -m 666 /dev/null c 1 3',
    'mknod -m 666 /dev/full c 1 7',
    'mknod -m 666 /dev/urandom c 1 9',
    'ln -s /proc/self/fd /dev/fd',
    'ln -s /proc/self/fd/1 /dev/stdout',
  ].join(' && ');
  const r = spawnSync('unshare', ['-m', 'sh', '-c', `${setup} && ${script}`], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export const UNSHARE_SKIP = 'needs `unshare -m` (root or a user namespace) to put a private tmpfs over /dev; never run against the real /dev/null';

export interface SidecarLine {
  source: string;
  row: number;
  line: number;
  offset: number | null;
  code: string;
  message: string;
  record: string;
}

export function readSidecar(dir: string, name: string): SidecarLine[] {
  return read(dir, name)
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as SidecarLine);
}

/** Splits simple CSV output (no quoted fields) into rows of cells, header first. */
export function csvRows(text: string): string[][] {
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.split(','));
}

// ---- fixture model weights, shared with fixtures/models/build.mjs (one source of truth)

export interface ModelWeights {
  file: string;
  predict(row: unknown): Record<string, unknown>;
  [key: string]: unknown;
}

export interface Weights {
  approxEqual(actual: number, expected: number, rtol?: number): boolean;
  models: Record<string, ModelWeights>;
  linear: ModelWeights & { coefficients: number[]; intercept: number };
  [key: string]: unknown;
}

export async function loadWeights(): Promise<Weights> {
  return (await import(pathToFileURL(path.join(MODELS, 'weights.mjs')).href)) as Weights;
}

/** The linear fixture's expected prediction for one row of 4 features, in float32 like the runtime. */
export async function expectedLinear(row: number[]): Promise<number> {
  const w = await loadWeights();
  return (w.linear.predict(row) as { variable: number[] }).variable[0];
}

// A failed property says why (fast-check 4 otherwise keeps the failure in an `Error.cause` the test runner does not print).
fc.configureGlobal({ includeErrorInReport: true });
