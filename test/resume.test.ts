/**
 * --resume (issue 17): a run killed at any moment and resumed with the same command ends with the output and the
 * sidecar byte-identical to an uninterrupted run's, at any --workers and --batch-size; a checkpoint of another
 * job is refused, naming what changed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { BIN, model, runCli, workdir } from './helpers.js';
import { parquetLayout, parquetRows, query, writeParquet } from './parquetDb.js';

const LINEAR = model('linear.onnx');
const ROWS = 20_000;
/**
 * Checkpoints in tests come often, so that random kills land between many of them (and Parquet row groups, after
 * which they fall); reads of 48 KiB, so that an input is read in several pieces, as a large one is.
 */
const ENV = { BATCH_SCORE_CHECKPOINT_MS: '20', BATCH_SCORE_BLOCK_BYTES: '8192', BATCH_SCORE_ROW_GROUP_ROWS: '1500', BATCH_SCORE_READ_BYTES: '49152' };
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

/** One job of the property below: its inputs, output format and shard, as command-line arguments. */
interface Job {
  gzip: boolean;
  /** A second input after the first (the same records again): checkpoints fall in either. */
  two: boolean;
  output: 'csv' | 'json' | 'jsonl' | 'parquet' | 'csv.gz' | 'json.gz' | 'jsonl.gz';
  shard: boolean;
  /** The records as Parquet (several row groups, written by DuckDB) instead of CSV. */
  parquetIn?: boolean;
  /**
   * Compared with a baseline (base.json, of other records: drift over --max-drift, exit 5) and a challenger, with
   * --ood: the drift report and the summary are outputs too.
   */
  monitor?: boolean;
}

/** A monitored job's exit: drift over --max-drift. */
const DRIFTED = 5;
const MONITOR_ARGS = ['--baseline', 'base.json', '--drift', 'report.json', '--max-drift', '0.1', '--challenger', model('linear_challenger.onnx'), '--ood', 'outside', '--summary', 's.json'];
const MONITOR_OUTPUTS = ['report.json', 's.json'];

/** The jobs tried (each one's uninterrupted run is the reference): every input and output shape at least once. */
const JOBS: Job[] = [
  { gzip: false, two: false, output: 'csv', shard: false },
  { gzip: true, two: false, output: 'csv', shard: false },
  { gzip: false, two: true, output: 'json', shard: false },
  { gzip: false, two: false, output: 'jsonl', shard: true },
  { gzip: true, two: true, output: 'csv', shard: true },
];

/** Parquet output: from CSV (plain, gzip, two inputs, a shard) and from Parquet. */
const PARQUET_JOBS: Job[] = [
  { gzip: false, two: false, output: 'parquet', shard: false },
  { gzip: true, two: true, output: 'parquet', shard: false },
  { gzip: false, two: true, output: 'parquet', shard: true },
  { gzip: false, two: false, output: 'parquet', shard: false, parquetIn: true },
];

/** Gzip output (written in members, one per block): from plain and gzip CSV, two inputs, a shard. */
const GZIP_JOBS: Job[] = [
  { gzip: false, two: false, output: 'csv.gz', shard: false },
  { gzip: true, two: true, output: 'json.gz', shard: false },
  { gzip: false, two: true, output: 'jsonl.gz', shard: true },
];

function jobArgs(job: Job): string[] {
  return [
    job.parquetIn ? 'in.parquet' : job.gzip ? 'in.csv.gz' : 'in.csv',
    ...(job.two ? ['more.csv'] : []),
    '-m', LINEAR, '--keep', 'id', '-o', `out.${job.output}`,
    ...(job.shard ? ['--shard', '1/2'] : []),
    ...(job.monitor ? MONITOR_ARGS : []),
  ];
}

/**
 * Each job's uninterrupted run once (the reference), then runs of a random job killed 2–3 times at random moments
 * (kill -9 and SIGTERM) at random --workers and --batch-size, resumed to the end: the output and the sidecar must
 * be byte-identical to the reference, and no checkpoint file left. Returns the references.
 */
async function killAndResume(jobs: Job[], inputs: Record<string, string | Buffer>, numRuns: number, check?: (dir: string, reference: string, job: Job) => Promise<void>): Promise<Map<string, { code: number; out: Buffer }>> {
  // Each job's uninterrupted run, once (its sidecar names its own inputs).
  const expected = new Map<string, { code: number; out: Buffer; errors: Buffer | null; dir: string }>();
  const read = (file: string) => (existsSync(file) ? readFileSync(file) : null);
  let wholeMs = 0;
  const expectedOf = async (job: Job) => {
    const key = JSON.stringify(job);
    if (!expected.has(key)) {
      const dir = workdir(inputs);
      const started = Date.now();
      const whole = await runCli(jobArgs(job), { cwd: dir, env: ENV });
      // A shard may hold no failing record (or none at all: a gzip input goes whole to shard 0).
      assert.ok(whole.code !== null && (job.monitor ? whole.code === DRIFTED : whole.code === DONE || whole.code === 0), whole.stderr);
      wholeMs = Math.max(wholeMs, Date.now() - started);
      expected.set(key, { code: whole.code, out: readFileSync(path.join(dir, `out.${job.output}`)), errors: read(path.join(dir, 'out.errors.jsonl')), dir });
    }
    return expected.get(key)!;
  };
  for (const job of jobs) await expectedOf(job);

  await fc.assert(
    fc.asyncProperty(
      fc.record({
        job: fc.constantFrom(...jobs),
        workers: fc.constantFrom(0, 1, 2),
        batch: fc.constantFrom(16, 256, 1024),
        kills: fc.array(fc.record({ at: fc.double({ min: 0.1, max: 1.1, noNaN: true }), signal: fc.constantFrom<NodeJS.Signals>('SIGKILL', 'SIGKILL', 'SIGTERM') }), { minLength: 2, maxLength: 3 }),
      }),
      async ({ job, workers, batch, kills }) => {
        const want = await expectedOf(job);
        const dir = workdir(inputs);
        const args = [...jobArgs(job), '--workers', String(workers), '--batch-size', String(batch), '--resume'];
        const out = path.join(dir, `out.${job.output}`);
        for (const kill of kills) {
          const ended = await runKilled(args, dir, kill.at * wholeMs, kill.signal);
          if (ended === want.code) break;
          // SIGTERM before the handlers are in place (while modules load) ends the process by the signal itself.
          // (A kill may also land after the commit, before the process exits: then the output is there already.)
          assert.ok(ended === 'SIGKILL' || ended === 'SIGTERM' || ended === 143, `killed run ended with ${ended}`);
        }
        const last = await runCli(args, { cwd: dir, env: ENV });
        assert.equal(last.code, want.code, last.stderr);
        assert.ok(readFileSync(out).equals(want.out), 'output byte-identical');
        assert.deepEqual(read(path.join(dir, 'out.errors.jsonl')), want.errors, 'sidecar byte-identical');
        const outputs = [`out.${job.output}`, ...(want.errors ? ['out.errors.jsonl'] : []), ...(job.monitor ? MONITOR_OUTPUTS : [])];
        // A run killed by kill -9 leaves its drift report's and summary's temporary files (`.report.json.<pid>.<random>.tmp`,
        // not checkpoint files: a run with --summary leaves one so too, --resume or not).
        const left = files(dir).filter((f) => !(job.monitor && /^\.(report|s)\.json\.\d+\.\w+\.tmp$/.test(f)));
        assert.deepEqual(left, [...Object.keys(inputs), ...outputs].sort(), 'the checkpoint is removed');
        await check?.(dir, want.dir, job);
      },
    ),
    { numRuns, seed: 17 },
  );
  return expected;
}

test('killed at random moments (kill -9 and SIGTERM) and resumed: output and sidecar byte-identical to an uninterrupted run', async () => {
  const text = input();
  const inputs = { 'in.csv': text, 'in.csv.gz': gzipSync(text), 'more.csv': text };
  // 8 runs of 2–3 kills each: at least 16 kills at random moments.
  const expected = await killAndResume(JOBS, inputs, 8);
  const [plain, gzipped] = JOBS.slice(0, 2).map((job) => expected.get(JSON.stringify(job))!);
  assert.equal(plain.code, DONE);
  assert.ok(plain.out.equals(gzipped.out), 'gzip or not, the same records give the same output');
});

test('Parquet output killed at random moments and resumed: byte-identical (row groups end at block ends, a checkpoint after each), and DuckDB reads the same rows', async () => {
  const text = input();
  const csvDir = workdir({ 'in.csv': text });
  // The same records as Parquet: typed columns (the failing rows' word becomes a null), several row groups.
  const parquet = await writeParquet(csvDir, 'in.parquet', `SELECT id::BIGINT AS id, TRY_CAST(a AS DOUBLE) AS a, b::DOUBLE AS b, c::DOUBLE AS c, d::DOUBLE AS d FROM read_csv('${path.join(csvDir, 'in.csv')}', all_varchar = true)`, 'ROW_GROUP_SIZE 2048');
  const inputs = { 'in.csv': text, 'in.csv.gz': gzipSync(text), 'more.csv': text, 'in.parquet': readFileSync(parquet) };
  await killAndResume(PARQUET_JOBS, inputs, 6, async (dir, reference, job) => {
    const [mine, theirs] = [path.join(dir, 'out.parquet'), path.join(reference, 'out.parquet')];
    assert.deepEqual(await parquetRows(mine), await parquetRows(theirs));
    if (!job.parquetIn) assert.ok((await parquetLayout(mine)).rowGroups >= 6, 'several row groups');
  });
});

test('gzip output killed at random moments and resumed: byte-identical (a gzip member per block), and it inflates to the plain output', async () => {
  const text = input();
  const inputs = { 'in.csv': text, 'in.csv.gz': gzipSync(text), 'more.csv': text };
  // Each job's plain output (the same job without .gz), to which its gzip output must inflate.
  const plain = new Map<Job, Buffer>();
  for (const job of GZIP_JOBS) {
    const dir = workdir(inputs);
    const plainJob = { ...job, output: job.output.replace(/\.gz$/, '') as Job['output'] };
    await runCli(jobArgs(plainJob), { cwd: dir, env: ENV });
    plain.set(job, readFileSync(path.join(dir, `out.${plainJob.output}`)));
  }
  const expected = await killAndResume(GZIP_JOBS, inputs, 6);
  for (const job of GZIP_JOBS) {
    const { out } = expected.get(JSON.stringify(job))!;
    assert.ok(gunzipSync(out).equals(plain.get(job)!), `${job.output}: inflates to the plain output`);
  }
});

test('with --baseline, --drift, --max-drift, --challenger and --ood: killed at random moments and resumed, the drift report, the exit code, the agreement and the output are an uninterrupted run\'s', async () => {
  const text = input();
  // The baseline: a profile of other records (other ranges: the run drifts, and --ood names features outside).
  const baseDir = workdir({ 'base.csv': input().split('\n').map((l, i) => (i > 0 && l ? l.replace(/,(\d+)$/, (_, d) => `,${Number(d) * 2}`) : l)).join('\n') });
  const profiled = await runCli(['profile', 'base.csv', '-m', LINEAR, '--keep', 'id', '-o', 'base.json'], { cwd: baseDir });
  assert.equal(profiled.code, DONE, profiled.stderr);
  const inputs = { 'in.csv': text, 'in.csv.gz': gzipSync(text), 'more.csv': text, 'base.json': readFileSync(path.join(baseDir, 'base.json')) };
  const jobs: Job[] = [
    { gzip: false, two: false, output: 'csv', shard: false, monitor: true },
    { gzip: true, two: true, output: 'jsonl', shard: false, monitor: true },
  ];
  await killAndResume(jobs, inputs, 6, async (dir, reference) => {
    const read = (d: string, f: string) => readFileSync(path.join(d, f));
    assert.ok(read(dir, 'report.json').equals(read(reference, 'report.json')), 'report.json byte-identical');
    const [mine, theirs] = [dir, reference].map((d) => JSON.parse(read(d, 's.json').toString()));
    assert.deepEqual(mine.agreement, theirs.agreement);
    assert.deepEqual(mine.drift, theirs.drift);
    assert.ok(theirs.agreement.compared > 0 && theirs.drift.worst.psi > 0.1, 'the run compares and drifts');
  });
});

test('the summary says the run was resumed and from which record', async () => {
  const dir = workdir({ 'in.csv': input() });
  const args = ['in.csv', '-m', LINEAR, '--keep', 'id', '-o', 'out.csv', '--resume', '--workers', '0', '--summary', 's.json'];
  await leaveCheckpoint(dir, args);
  const journal = JSON.parse(readFileSync(path.join(dir, 'out.csv.resume.json'), 'utf8'));
  // The run goes on from the journal's point or a later one of the progress log (what the files hold past it).
  const logged = loggedRecords(dir);
  const r = await runCli(args, { cwd: dir, env: ENV });
  assert.equal(r.code, DONE, r.stderr);
  const summary = JSON.parse(readFileSync(path.join(dir, 's.json'), 'utf8'));
  assert.ok(summary.resumed?.fromRecord >= journal.point.records && summary.resumed.fromRecord > 0, r.stderr);
  assert.ok(logged.includes(summary.resumed.fromRecord), `${summary.resumed.fromRecord} is a logged point`);
  // A CSV output does not list its failures (only a JSON document does): none is kept for its tail.
  assert.ok(journal.point.failed > 0 && journal.point.writer.document.listed === 0 && journal.point.failuresBytes === 0, 'no failures listed in a CSV run');
  assert.match(r.stderr, /resumed from record [\d,]+/);
});

/**
 * As after the machine restarted: the progress log's points say they were logged in an earlier boot (a resumed run
 * trusts a point of its own boot by the files' lengths, since nothing written is lost while the machine is up).
 */
function asAfterRestart(log: string): void {
  const text = readFileSync(log, 'utf8');
  assert.match(text, /"boot":"[^"]+"/, 'the points name their boot');
  writeFileSync(log, text.replace(/"boot":"[^"]+"/g, '"boot":"an earlier boot"'));
}

/** The records counts of the points in the progress log (its whole lines). */
function loggedRecords(dir: string): number[] {
  const file = path.join(dir, 'out.csv.resume.log');
  const lines = existsSync(file) ? readFileSync(file, 'utf8').split('\n') : [];
  return lines.flatMap((l) => {
    try {
      return [JSON.parse(l).records as number];
    } catch {
      return [];
    }
  });
}

test('a gzip output cut back to a checkpoint is whole gzip members: it inflates, alone, to the start of the plain output', async () => {
  const args = ['in.csv', '-m', LINEAR, '--keep', 'id', '--workers', '0'];
  const whole = workdir({ 'in.csv': input() });
  assert.equal((await runCli([...args, '-o', 'out.csv'], { cwd: whole, env: ENV })).code, DONE);
  const plain = readFileSync(path.join(whole, 'out.csv'));
  const dir = workdir({ 'in.csv': input() });
  const journalOf = () => JSON.parse(readFileSync(path.join(dir, 'out.csv.gz.resume.json'), 'utf8'));
  await leaveCheckpoint(dir, [...args, '-o', 'out.csv.gz', '--resume'], () => journalOf().point.records > ROWS / 4, 'out.csv.gz');
  const { point } = journalOf();
  const kept = gunzipSync(readFileSync(path.join(dir, 'out.csv.gz.resume.partial')).subarray(0, point.outputBytes));
  // The header and one line per record read up to the checkpoint (no record fails with --on-error null: a line each).
  assert.equal(kept.toString().split('\n').length - 1, 1 + point.records);
  assert.ok(kept.equals(plain.subarray(0, kept.length)), 'the start of the plain output');
});

test('a gzip output of many members is read whole by DuckDB and by batch-score itself', async () => {
  const dir = workdir({ 'in.csv': input() });
  const args = ['in.csv', '-m', LINEAR, '--features', 'a,b,c,d', '--keep', 'id,a,b,c,d', '--workers', '0'];
  for (const out of ['out.csv', 'out.csv.gz']) assert.equal((await runCli([...args, '-o', out], { cwd: dir, env: ENV })).code, DONE);
  const gz = readFileSync(path.join(dir, 'out.csv.gz'));
  // Many members (a block is ~8 KiB of input here): the magic bytes and the deflate method start each.
  assert.ok(gz.toString('latin1').split('\x1f\x8b\x08').length - 1 > 20, 'a member per block');
  const rowsOf = (file: string) => query(`SELECT * FROM read_csv('${path.join(dir, file)}', all_varchar = true)`);
  assert.deepEqual(await rowsOf('out.csv.gz'), await rowsOf('out.csv'));
  // Scored again from the gzip output (its kept columns are the features): the same predictions.
  const again = await runCli(['out.csv.gz', '-m', LINEAR, '--features', 'a,b,c,d', '--keep', 'id', '-o', 'again.csv', '--errors', 'again.errors.jsonl'], { cwd: dir, env: ENV });
  assert.equal(again.code, DONE, again.stderr);
  const first = await runCli(['in.csv', '-m', LINEAR, '--keep', 'id', '-o', 'first.csv'], { cwd: dir, env: ENV });
  assert.equal(first.code, DONE, first.stderr);
  assert.ok(readFileSync(path.join(dir, 'again.csv')).equals(readFileSync(path.join(dir, 'first.csv'))));
});

/** Leaves a checkpoint of `args` in `dir` (killed after its first checkpoint, or once `ready` says so). */
async function leaveCheckpoint(dir: string, args: string[], ready = () => true, output = 'out.csv'): Promise<void> {
  const journal = path.join(dir, `${output}.resume.json`);
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, env: { ...process.env, ...ENV }, stdio: 'ignore' });
    const poll = setInterval(() => {
      if (existsSync(journal) && ready()) child.kill('SIGKILL');
    }, 5);
    child.on('error', reject);
    child.on('close', () => (clearInterval(poll), resolve()));
  });
  assert.ok(existsSync(journal), 'a checkpoint was left');
  assert.ok(!existsSync(path.join(dir, output)), 'no output at the path before the run completes');
}

test('a power loss: points of the progress log whose bytes are not in the files are not trusted', async () => {
  const args = ['in.csv', '-m', LINEAR, '--keep', 'id', '-o', 'out.csv', '--workers', '0', '--summary', 's.json'];
  const whole = workdir({ 'in.csv': input() });
  assert.equal((await runCli(args, { cwd: whole, env: ENV })).code, DONE);
  const dir = workdir({ 'in.csv': input() });
  const journalOf = () => JSON.parse(readFileSync(path.join(dir, 'out.csv.resume.json'), 'utf8'));
  await leaveCheckpoint(dir, [...args, '--resume'], () => loggedRecords(dir).some((n) => n > journalOf().point.records));
  const journal = journalOf();
  // As after a power loss: the log reached the disk, the output's bytes after the journal's point did not (zeros).
  const partial = path.join(dir, 'out.csv.resume.partial');
  const bytes = readFileSync(partial);
  assert.ok(loggedRecords(dir).some((n) => n > journal.point.records), 'the log names points past the journal');
  writeFileSync(partial, Buffer.concat([bytes.subarray(0, journal.point.outputBytes), Buffer.alloc(bytes.length - journal.point.outputBytes)]));
  asAfterRestart(path.join(dir, 'out.csv.resume.log'));
  const r = await runCli([...args, '--resume'], { cwd: dir, env: ENV });
  assert.equal(r.code, DONE, r.stderr);
  assert.equal(JSON.parse(readFileSync(path.join(dir, 's.json'), 'utf8')).resumed.fromRecord, journal.point.records);
  for (const f of ['out.csv', 'out.errors.jsonl']) assert.ok(readFileSync(path.join(dir, f)).equals(readFileSync(path.join(whole, f))), f);
});

test("a JSON document's failures are kept beside the checkpoint, not in every point; resumed, also after a power loss, the document is exact", async () => {
  // Every third record fails: the document's `errors` grows all along.
  const text = input().split('\n').map((l, i) => (i > 0 && i % 3 === 0 && l !== '' ? l.replace(/^(\d+),[^,]*/, '$1,x') : l)).join('\n');
  const args = ['in.csv', '-m', LINEAR, '--keep', 'id', '-o', 'out.json', '--workers', '0', '--batch-size', '64'];
  const whole = workdir({ 'in.csv': text });
  assert.equal((await runCli(args, { cwd: whole, env: ENV })).code, DONE);
  for (const powerLoss of [false, true]) {
    const dir = workdir({ 'in.csv': text });
    const journalOf = () => JSON.parse(readFileSync(path.join(dir, 'out.json.resume.json'), 'utf8'));
    await leaveCheckpoint(dir, [...args, '--resume'], () => journalOf().point.failed > 1000, 'out.json');
    const journal = journalOf();
    // Each point names how many failures are listed and the length of their file, not the list.
    assert.equal(journal.point.writer.document.listed, journal.point.failed);
    const log = readFileSync(path.join(dir, 'out.json.resume.log'), 'utf8');
    assert.ok(Math.max(...log.split('\n').map((l) => l.length)) < 1500 && JSON.stringify(journal).length < 1500, 'points stay small');
    const failures = path.join(dir, 'out.json.resume.failures');
    const listed = readFileSync(failures).subarray(0, journal.point.failuresBytes).toString().split('\n').filter(Boolean);
    assert.equal(listed.length, journal.point.failed);
    if (powerLoss) {
      // The failures listed after the journal's point never reached the disk: the walk stops at the journal's point.
      const bytes = readFileSync(failures);
      writeFileSync(failures, Buffer.concat([bytes.subarray(0, journal.point.failuresBytes), Buffer.alloc(bytes.length - journal.point.failuresBytes)]));
      asAfterRestart(path.join(dir, 'out.json.resume.log'));
    }
    const r = await runCli([...args, '--resume', '--summary', 's.json'], { cwd: dir, env: ENV });
    assert.equal(r.code, DONE, r.stderr);
    if (powerLoss) assert.equal(JSON.parse(readFileSync(path.join(dir, 's.json'), 'utf8')).resumed.fromRecord, journal.point.records);
    for (const f of ['out.json', 'out.errors.jsonl']) assert.ok(readFileSync(path.join(dir, f)).equals(readFileSync(path.join(whole, f))), f);
    assert.ok(!existsSync(failures), 'the checkpoint is removed');
  }
});

test('a checkpoint of another job is refused (exit 2, naming what changed); without --resume it is replaced', async () => {
  const base = ['in.csv', '-m', LINEAR, '--keep', 'id', '-o', 'out.csv', '--workers', '0'];
  const cases: Array<[string, (dir: string) => string[], RegExp]> = [
    ['an input that grew', (dir) => (appendFileSync(path.join(dir, 'in.csv'), '99999,1,2,3,4\n'), base), /in\.csv changed size/],
    ['another model', () => [...base.slice(0, 2), model('unused_initializer.onnx'), ...base.slice(3)], /model's bytes differ/],
    ['an option that changes the output', () => [...base, '--missing', 'nan'], /--missing differs \(error → nan\)/],
    ['a challenger added (its agreement and columns were not kept)', () => [...base, '--challenger', model('linear_challenger.onnx')], /--challenger differs \(not given → \S*linear_challenger\.onnx \(sha256 [0-9a-f]{12}…\)\)/],
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
