/**
 * --resume with --output-dir (issue 17): one checkpoint beside each input's output. A run killed at any moment and
 * resumed with the same command ends with every output and sidecar byte-identical to an uninterrupted run's; an
 * input whose output was complete is not read again; a changed input is refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, linkSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { BIN, model, runCli, workdir } from './helpers.js';

const LINEAR = model('linear.onnx');
const ROWS = 8_000;
/** Checkpoints in tests come often, so that random kills land between many of them. */
const ENV = { BATCH_SCORE_CHECKPOINT_MS: '20', BATCH_SCORE_BLOCK_BYTES: '8192', BATCH_SCORE_ROW_GROUP_ROWS: '700' };
const DONE = 3;

/** Rows with a failure every 997th (a word where a number goes): CSV, or the same records as JSONL. */
function rows(jsonl: boolean): string {
  const lines = jsonl ? [] : ['id,a,b,c,d'];
  for (let i = 0; i < ROWS; i++) {
    const v = i % 997 === 5 ? ['"x"', '1', '2', '3'] : [`${(i % 13) * 0.25}`, `${i % 7}`, `-${i % 5}.5`, `${(i * 7) % 11}`];
    lines.push(jsonl ? `{"id":${i},"a":${v[0]},"b":${v[1]},"c":${v[2]},"d":${v[3]}}` : `${i},${v.join(',').replace('"x"', 'x')}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Three inputs of three kinds: CSV, gzip CSV, JSONL (each output in its own format, or all as --output-format). */
function inputs(): Record<string, string | Buffer> {
  return { 'a.csv': rows(false), 'b.csv.gz': gzipSync(rows(false)), 'c.jsonl': rows(true) };
}

const BASE = ['a.csv', 'b.csv.gz', 'c.jsonl', '-m', LINEAR, '--keep', 'id', '--output-dir', 'out'];

/** Every file in out/, by name. */
function outFiles(dir: string): Map<string, Buffer> {
  const out = path.join(dir, 'out');
  return new Map(readdirSync(out).sort().map((f) => [f, readFileSync(path.join(out, f))]));
}

/** Runs the CLI, killing it with `signal` after `afterMs` (or once `ready()` says so): its exit code or signal. */
function runKilled(args: string[], cwd: string, afterMs: number, signal: NodeJS.Signals, ready = () => false): Promise<number | NodeJS.Signals> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, ...ENV }, stdio: 'ignore' });
    const timer = setTimeout(() => child.kill(signal), afterMs);
    const poll = setInterval(() => ready() && child.kill(signal), 5);
    child.on('error', reject);
    child.on('close', (code, sig) => {
      clearTimeout(timer);
      clearInterval(poll);
      resolve(code ?? sig!);
    });
  });
}

test('--output-dir: killed at random moments and resumed, every output and sidecar byte-identical to an uninterrupted run', async () => {
  const expected = new Map<string, { files: Map<string, Buffer>; ms: number }>();
  const expectedOf = async (format: string[]) => {
    const key = format.join(' ');
    if (!expected.has(key)) {
      const dir = workdir(inputs());
      const started = Date.now();
      const whole = await runCli([...BASE, ...format], { cwd: dir, env: ENV });
      assert.equal(whole.code, DONE, whole.stderr);
      expected.set(key, { files: outFiles(dir), ms: Date.now() - started });
    }
    return expected.get(key)!;
  };
  assert.deepEqual([...(await expectedOf([])).files.keys()], ['a.csv', 'a.errors.jsonl', 'b.csv', 'b.errors.jsonl', 'c.errors.jsonl', 'c.jsonl']);
  await fc.assert(
    fc.asyncProperty(
      fc.record({
        format: fc.constantFrom<string[]>([], ['--output-format', 'json'], ['--output-format', 'parquet']),
        workers: fc.constantFrom(0, 1, 2),
        batch: fc.constantFrom(16, 256, 1024),
        kills: fc.array(fc.record({ at: fc.double({ min: 0.1, max: 1.1, noNaN: true }), signal: fc.constantFrom<NodeJS.Signals>('SIGKILL', 'SIGKILL', 'SIGTERM') }), { minLength: 2, maxLength: 3 }),
      }),
      async ({ format, workers, batch, kills }) => {
        const want = await expectedOf(format);
        const dir = workdir(inputs());
        const args = [...BASE, ...format, '--workers', String(workers), '--batch-size', String(batch), '--resume'];
        for (const kill of kills) {
          const ended = await runKilled(args, dir, kill.at * want.ms, kill.signal);
          if (ended === DONE) break;
          assert.ok(ended === 'SIGKILL' || ended === 'SIGTERM' || ended === 143, `killed run ended with ${ended}`);
        }
        const last = await runCli(args, { cwd: dir, env: ENV });
        assert.equal(last.code, DONE, last.stderr);
        // Byte-identical, and no checkpoint file left.
        assert.deepEqual(outFiles(dir), want.files);
      },
    ),
    // 5 runs of 2–3 kills each, over three inputs: kills fall before, inside and between them.
    { numRuns: 5, seed: 17 },
  );
});

/** Leaves the checkpoints of a run killed once the first input's output is complete (its journal says so). */
async function leaveFirstComplete(dir: string): Promise<void> {
  const journal = path.join(dir, 'out', 'a.csv.resume.json');
  const complete = () => existsSync(journal) && readFileSync(journal, 'utf8').includes('"complete":true');
  await runKilled([...BASE, '--workers', '0', '--resume'], dir, 60_000, 'SIGKILL', complete);
  assert.ok(complete(), 'the first input was complete when the run was killed');
  assert.ok(!existsSync(path.join(dir, 'out', 'a.csv')), 'nothing committed before the run completes');
}

test('--output-dir --resume: an input whose output is complete is skipped, not read again', async () => {
  const whole = workdir(inputs());
  assert.equal((await runCli([...BASE, '--workers', '0'], { cwd: whole, env: ENV })).code, DONE);
  const dir = workdir(inputs());
  await leaveFirstComplete(dir);
  const partial = statSync(path.join(dir, 'out', 'a.csv.resume.partial'));
  const r = await runCli([...BASE, '--workers', '0', '--resume', '--summary', 's.json'], { cwd: dir, env: ENV });
  assert.equal(r.code, DONE, r.stderr);
  assert.match(r.stderr, /resumed from record [\d,]+ \(checkpoints in out: 1 input complete/);
  // The complete output is the partial file as it was: not written again, renamed into place.
  const committed = statSync(path.join(dir, 'out', 'a.csv'));
  assert.equal(committed.ino, partial.ino);
  assert.equal(committed.mtimeMs, partial.mtimeMs);
  assert.deepEqual(outFiles(dir), outFiles(whole));
  const summary = JSON.parse(readFileSync(path.join(dir, 's.json'), 'utf8'));
  assert.equal(summary.rows.read, 3 * ROWS);
  assert.ok(summary.resumed.fromRecord >= ROWS, JSON.stringify(summary.resumed));
});

test('--output-dir --resume: a changed input is refused (exit 2, naming it), its checkpoint kept', async () => {
  const dir = workdir(inputs());
  await leaveFirstComplete(dir);
  appendFileSync(path.join(dir, 'a.csv'), '99999,1,2,3,4\n');
  const r = await runCli([...BASE, '--workers', '0', '--resume'], { cwd: dir, env: ENV });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /^batch-score: error \[USAGE\] the checkpoint \S*a\.csv\.resume\.json is of another job: \S*a\.csv changed size/);
  assert.ok(existsSync(path.join(dir, 'out', 'a.csv.resume.json')), 'the checkpoint is kept');
  assert.ok(!existsSync(path.join(dir, 'out', 'a.csv')));
  // Without --resume every old checkpoint is replaced: the run starts again, and none is left.
  const again = await runCli([...BASE, '--workers', '0'], { cwd: dir, env: ENV });
  assert.equal(again.code, DONE, again.stderr);
  assert.deepEqual([...outFiles(dir).keys()], ['a.csv', 'a.errors.jsonl', 'b.csv', 'b.errors.jsonl', 'c.errors.jsonl', 'c.jsonl']);
});

test('--output-dir --resume: an s3:// directory is a usage error; a Parquet input\'s own Parquet output is resumable', async () => {
  const dir = workdir({ ...inputs(), 'p.parquet': readFileSync(path.join(path.dirname(LINEAR), '..', 'houses.parquet')) });
  const r = await runCli([...BASE.slice(0, -1), 's3://bucket/out/', '--resume'], { cwd: dir, env: ENV });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /--resume cannot keep checkpoints under an s3:\/\/ --output-dir/);
  const parquet = await runCli(['p.parquet', ...BASE.slice(3), '--resume'], { cwd: dir, env: ENV });
  assert.equal(parquet.code, DONE, parquet.stderr);
  assert.deepEqual([...outFiles(dir).keys()], ['p.errors.jsonl', 'p.parquet']);
});

test('--output-dir: an input at an output\'s checkpoint file is refused, with or without --resume (a run without removes that file)', async () => {
  for (const resume of [[], ['--resume']]) {
    const dir = workdir(inputs());
    mkdirSync(path.join(dir, 'out'));
    linkSync(path.join(dir, 'a.csv'), path.join(dir, 'out', 'a.csv.resume.log'));
    const r = await runCli([...BASE, ...resume], { cwd: dir, env: ENV });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /the checkpoint file \S*out\/a\.csv\.resume\.log \(batch-score's, for --resume\) is the same file as input a\.csv/);
    assert.equal(readFileSync(path.join(dir, 'a.csv'), 'utf8'), rows(false), 'the input is untouched');
  }
});
