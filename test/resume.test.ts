/**
 * --resume (issue 17): a run killed at any moment and resumed with the same command ends with the output and the
 * sidecar byte-identical to an uninterrupted run's, at any --workers and --batch-size; a checkpoint of another
 * job is refused, naming what changed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { BIN, model, runCli, workdir } from './helpers.js';

const LINEAR = model('linear.onnx');
const ROWS = 60_000;
/** Checkpoints in tests come often, so that random kills land between many of them. */
const ENV = { BATCH_SCORE_CHECKPOINT_MS: '20', BATCH_SCORE_BLOCK_BYTES: '8192' };
/** Every run here ends with exit 3: some records fail (by design of the input). */
const DONE = 3;

/** Rows with a failure every 997th (a word where a number goes), so the sidecar has entries all along. */
function input(): string {
  const lines = ['id,a,b,c,d'];
  for (let i = 0; i < ROWS; i++) lines.push(i % 997 === 5 ? `${i},x,1,2,3` : `${i},${(i % 13) * 0.25},${i % 7},-${i % 5}.5,${(i * 7) % 11}`);
  return `${lines.join('\n')}\n`;
}

/** Runs the CLI and kills it with `signal` after `afterMs` (if it is still running): exit code or signal. */
function runKilled(args: string[], cwd: string, afterMs: number, signal: NodeJS.Signals): Promise<number | NodeJS.Signals> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, ...ENV }, stdio: 'ignore' });
    const timer = setTimeout(() => child.kill(signal), afterMs);
    child.on('error', reject);
    child.on('close', (code, sig) => {
      clearTimeout(timer);
      resolve(code ?? sig!);
    });
  });
}

const files = (dir: string) => readdirSync(dir).sort();

test('killed at random moments (kill -9 and SIGTERM) and resumed: output and sidecar byte-identical to an uninterrupted run', async () => {
  const text = input();
  const ref = workdir({ 'in.csv': text, 'in.csv.gz': gzipSync(text) });
  const started = Date.now();
  const whole = await runCli(['in.csv', '-m', LINEAR, '--keep', 'id', '-o', 'out.csv'], { cwd: ref, env: ENV });
  assert.equal(whole.code, DONE, whole.stderr);
  const wholeMs = Date.now() - started;
  // The gzip input's sidecar names in.csv.gz: its own uninterrupted run.
  assert.equal((await runCli(['in.csv.gz', '-m', LINEAR, '--keep', 'id', '-o', 'gz.csv'], { cwd: ref, env: ENV })).code, DONE);
  const expectedOf = (gzip: boolean) => ({
    out: readFileSync(path.join(ref, gzip ? 'gz.csv' : 'out.csv')),
    errors: readFileSync(path.join(ref, gzip ? 'gz.errors.jsonl' : 'out.errors.jsonl')),
  });
  assert.ok(expectedOf(false).errors.length > 0);
  assert.ok(expectedOf(false).out.equals(expectedOf(true).out));

  await fc.assert(
    fc.asyncProperty(
      fc.record({
        workers: fc.constantFrom(0, 1, 2),
        batch: fc.constantFrom(7, 256, 1024),
        gzip: fc.boolean(),
        kills: fc.array(fc.record({ at: fc.double({ min: 0.1, max: 1.1, noNaN: true }), signal: fc.constantFrom<NodeJS.Signals>('SIGKILL', 'SIGKILL', 'SIGTERM') }), { minLength: 1, maxLength: 3 }),
      }),
      async ({ workers, batch, gzip, kills }) => {
        const dir = workdir({ [gzip ? 'in.csv.gz' : 'in.csv']: gzip ? gzipSync(text) : text });
        const args = [gzip ? 'in.csv.gz' : 'in.csv', '-m', LINEAR, '--keep', 'id', '-o', 'out.csv', '--workers', String(workers), '--batch-size', String(batch), '--resume'];
        for (const kill of kills) {
          const ended = await runKilled(args, dir, kill.at * wholeMs, kill.signal);
          if (ended === DONE) break;
          assert.ok(ended === 'SIGKILL' || ended === 143, `killed run ended with ${ended}`);
          assert.ok(!existsSync(path.join(dir, 'out.csv')), 'no output at the path before the run completes');
        }
        const last = await runCli(args, { cwd: dir, env: ENV });
        const expected = expectedOf(gzip);
        assert.equal(last.code, DONE, last.stderr);
        assert.ok(readFileSync(path.join(dir, 'out.csv')).equals(expected.out), 'output byte-identical');
        assert.ok(readFileSync(path.join(dir, 'out.errors.jsonl')).equals(expected.errors), 'sidecar byte-identical');
        assert.deepEqual(files(dir), [gzip ? 'in.csv.gz' : 'in.csv', 'out.csv', 'out.errors.jsonl'], 'the checkpoint is removed');
      },
    ),
    { numRuns: 12, seed: 17 },
  );
});

test('the summary says the run was resumed and from which record', async () => {
  const dir = workdir({ 'in.csv': input() });
  const args = ['in.csv', '-m', LINEAR, '--keep', 'id', '-o', 'out.csv', '--resume', '--workers', '0', '--summary', 's.json'];
  // Kill once a checkpoint exists (the journal appears beside the output).
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, env: { ...process.env, ...ENV }, stdio: 'ignore' });
    const poll = setInterval(() => {
      if (existsSync(path.join(dir, 'out.csv.resume.json'))) child.kill('SIGKILL');
    }, 5);
    child.on('error', reject);
    child.on('close', () => (clearInterval(poll), resolve()));
  });
  const journal = JSON.parse(readFileSync(path.join(dir, 'out.csv.resume.json'), 'utf8'));
  const r = await runCli(args, { cwd: dir, env: ENV });
  assert.equal(r.code, DONE, r.stderr);
  const summary = JSON.parse(readFileSync(path.join(dir, 's.json'), 'utf8'));
  assert.equal(summary.resumed?.fromRecord, journal.point.records);
  assert.ok(summary.resumed.fromRecord > 0);
  assert.match(r.stderr, /resumed from record [\d,]+/);
});

/** Leaves a checkpoint of `args` in `dir` (killed after its first checkpoint). */
async function leaveCheckpoint(dir: string, args: string[]): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, env: { ...process.env, ...ENV }, stdio: 'ignore' });
    const poll = setInterval(() => {
      if (existsSync(path.join(dir, 'out.csv.resume.json'))) child.kill('SIGKILL');
    }, 5);
    child.on('error', reject);
    child.on('close', () => (clearInterval(poll), resolve()));
  });
  assert.ok(existsSync(path.join(dir, 'out.csv.resume.json')), 'a checkpoint was left');
}

test('a checkpoint of another job is refused (exit 2, naming what changed); without --resume it is replaced', async () => {
  const base = ['in.csv', '-m', LINEAR, '--keep', 'id', '-o', 'out.csv', '--workers', '0'];
  const cases: Array<[string, (dir: string) => string[], RegExp]> = [
    ['an input that grew', (dir) => (appendFileSync(path.join(dir, 'in.csv'), '99999,1,2,3,4\n'), base), /in\.csv changed size/],
    ['another model', () => [...base.slice(0, 2), model('unused_initializer.onnx'), ...base.slice(3)], /model's bytes differ/],
    ['an option that changes the output', () => [...base, '--missing', 'nan'], /--missing differs \(error → nan\)/],
  ];
  for (const [name, change, message] of cases) {
    const dir = workdir({ 'in.csv': input() });
    await leaveCheckpoint(dir, [...base, '--resume']);
    const r = await runCli([...change(dir), '--resume'], { cwd: dir, env: ENV });
    assert.equal(r.code, 2, `${name}: ${r.stderr}`);
    assert.match(r.stderr, /^batch-score: error \[USAGE\] .*checkpoint/, name);
    assert.match(r.stderr, message, name);
    assert.ok(existsSync(path.join(dir, 'out.csv.resume.json')), `${name}: the checkpoint is kept`);
    assert.ok(!existsSync(path.join(dir, 'out.csv')), name);
  }
  // Without --resume the old checkpoint is ignored, and gone once the run completes.
  const dir = workdir({ 'in.csv': input() });
  await leaveCheckpoint(dir, [...base, '--resume']);
  const r = await runCli(base, { cwd: dir, env: ENV });
  assert.equal(r.code, DONE, r.stderr);
  assert.deepEqual(files(dir), ['in.csv', 'out.csv', 'out.errors.jsonl']);
});

test('standard input cannot be resumed: a usage error', async () => {
  const r = await runCli(['-m', LINEAR, '-o', 'out.csv', '--resume'], { stdin: 'a,b,c,d\n1,2,3,4\n' });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^batch-score: error \[USAGE\] --resume needs input files: standard input cannot be read again/);
});

test('--resume without an output file is a usage error', async () => {
  const dir = workdir({ 'in.csv': 'a,b,c,d\n1,2,3,4\n' });
  const r = await runCli(['in.csv', '-m', LINEAR, '--resume'], { cwd: dir });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^batch-score: error \[USAGE\] --resume needs an output file \(-o\)/);
});
