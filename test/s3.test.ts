/**
 * Object storage (issue 16) against an S3-compatible server the test starts on loopback (s3rver): s3:// inputs
 * (an object, a prefix), -o / --errors / --summary / --output-dir on s3://, the same bytes as a local run, nothing
 * from the SDK on stderr, and never a partial object at an output key.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import { BIN, model, read, runCli, workdir } from './helpers.js';
import { startS3, type LocalS3 } from './s3Helpers.js';

const LINEAR = model('linear.onnx');
const HEADER = 'id,rooms,area,age,distance';
const DAY1 = `${HEADER}\na,1,2,3,4\nb,1,,3,4\n"c\nd",2,3,4,5\n`;
const DAY2 = `${HEADER}\ne,1,2,x,4\nf,5,6,7,8\n`;

let s3: LocalS3;
before(async () => {
  s3 = await startS3();
});
after(async () => {
  await s3?.close();
});

test('an s3:// input, a prefix of inputs (key order) and s3:// outputs give the bytes of a local run; no SDK warning', async () => {
  await s3.put('in/2024-01-02.csv', DAY2);
  await s3.put('in/2024-01-01.csv', DAY1);
  const dir = workdir({ '1.csv': DAY1, '2.csv': DAY2 });
  const local = await runCli(['1.csv', '2.csv', '-m', LINEAR, '--keep', 'id', '-o', 'local.csv', '-q'], { cwd: dir });
  assert.equal(local.code, 3, local.stderr);
  const remote = await runCli(['s3://bucket/in/', '-m', LINEAR, '--keep', 'id', '-o', 's3://bucket/out/preds.csv', '--summary', 's3://bucket/out/run.json'], { cwd: dir, env: s3.env });
  assert.equal(remote.code, 3, remote.stderr);
  assert.doesNotMatch(remote.stderr, /Warning|NodeVersion|AWS SDK/);
  assert.match(remote.stderr, /5 read, 3 scored, 2 failed .*→ s3:\/\/bucket\/out\/preds\.errors\.jsonl/);
  assert.equal((await s3.get('out/preds.csv'))!.toString(), read(dir, 'local.csv'));
  const sidecar = (await s3.get('out/preds.errors.jsonl'))!.toString().trim().split('\n').map((l) => JSON.parse(l) as { source: string; offset: number });
  assert.deepEqual(sidecar.map((e) => [e.source, e.offset]), [['s3://bucket/in/2024-01-01.csv', 37], ['s3://bucket/in/2024-01-02.csv', 27]]);
  const summary = JSON.parse((await s3.get('out/run.json'))!.toString()) as { inputs: string[]; output: string; errorsFile: string };
  assert.deepEqual(summary.inputs, ['s3://bucket/in/2024-01-01.csv', 's3://bucket/in/2024-01-02.csv']);
  assert.equal(summary.errorsFile, 's3://bucket/out/preds.errors.jsonl');
});

test('--output-dir s3://…/ writes one output and one sidecar per input object; gzip output to s3', async () => {
  await s3.put('day/a.csv', DAY1);
  await s3.put('day/b.csv', DAY2);
  const r = await runCli(['s3://bucket/day/', '-m', LINEAR, '--keep', 'id', '--output-dir', 's3://bucket/scored/', '-q'], { env: s3.env });
  assert.equal(r.code, 3, r.stderr);
  assert.deepEqual((await s3.keys('scored/')).sort(), ['scored/a.csv', 'scored/a.errors.jsonl', 'scored/b.csv', 'scored/b.errors.jsonl']);
  assert.match((await s3.get('scored/b.csv'))!.toString(), /^id,variable\ne,\nf,/);
  const gz = await runCli(['s3://bucket/day/a.csv', '-m', LINEAR, '--keep', 'id', '-o', 's3://bucket/gz/a.csv.gz', '-q'], { env: s3.env });
  assert.equal(gz.code, 3, gz.stderr);
  const { gunzipSync } = await import('node:zlib');
  assert.match(gunzipSync((await s3.get('gz/a.csv.gz'))!).toString(), /^id,variable\na,/);
});

test('a failed run leaves no object: a missing input, a mapping error, too many failures (the failures kept beside)', async () => {
  const missing = await runCli(['s3://bucket/nope.csv', '-m', LINEAR, '-o', 's3://bucket/f/1.csv'], { env: s3.env });
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /^batch-score: error \[INPUT\] cannot read input s3:\/\/bucket\/nope\.csv: no such object\n$/);
  await s3.put('f/in.csv', DAY1);
  const mapping = await runCli(['s3://bucket/f/in.csv', '-m', LINEAR, '-o', 's3://bucket/f/2.csv'], { env: s3.env });
  assert.equal(mapping.code, 2, mapping.stderr);
  const threshold = await runCli(['s3://bucket/f/in.csv', '-m', LINEAR, '--keep', 'id', '--max-errors', '0', '-o', 's3://bucket/f/3.csv'], { env: s3.env });
  assert.equal(threshold.code, 4, threshold.stderr);
  assert.deepEqual((await s3.keys('f/')).sort(), ['f/3.errors.aborted.jsonl', 'f/in.csv']);
  const bucket = await runCli(['s3://bucket/f/in.csv', '-m', LINEAR, '--keep', 'id', '-o', 's3://no-such-bucket/x.csv'], { env: s3.env });
  assert.equal(bucket.code, 2);
  assert.equal(bucket.stderr, 'batch-score: error [OUTPUT] cannot write s3://no-such-bucket/x.csv: no such bucket no-such-bucket\n');
});

test('a run killed (kill -9) after parts of its output were uploaded leaves no object at the key', async () => {
  const dir = workdir();
  const child = spawn(process.execPath, [BIN, '-m', LINEAR, '--keep', 'id', '-o', 's3://bucket/killed/preds.csv', '--flush-ms', '50', '-q'], {
    cwd: dir,
    env: { ...process.env, ...s3.env },
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  child.stdin.on('error', () => undefined);
  child.stdin.write(`${HEADER}\n`);
  // ~10 MB of predictions (two 8 MiB parts' worth of input), then standard input stays open: the run cannot end.
  const rows: string[] = [];
  for (let i = 0; i < 700_000; i++) rows.push(`record-number-${i},1,2,3,4`);
  child.stdin.write(rows.join('\n') + '\n');
  const parts = s3.partsReceived();
  for (let waited = 0; s3.partsReceived() === parts && waited < 60_000; waited += 100) await delay(100);
  assert.ok(s3.partsReceived() > parts, 'no part was uploaded');
  child.kill('SIGKILL');
  await new Promise((resolve) => child.on('close', resolve));
  assert.equal(await s3.get('killed/preds.csv'), null);
  assert.deepEqual(await s3.keys('killed/'), []);
});

test('an output under an input prefix is refused (the next run over the prefix would read it)', async () => {
  const r = await runCli(['s3://bucket/in/', '-m', LINEAR, '--keep', 'id', '-o', 's3://bucket/in/preds.csv'], { env: s3.env });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^batch-score: error \[USAGE\] s3:\/\/bucket\/in\/preds\.csv is under the input prefix s3:\/\/bucket\/in\//);
});
