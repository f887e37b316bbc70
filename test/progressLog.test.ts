/**
 * The progress log of a --resume run (run/resume/progressLog.ts): a resumed run goes on from the last logged point
 * whose bytes the files hold as written — never past a point whose bytes are missing or other than written.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ProgressLog, currentBoot, furthestWritten, type LoggedPoint } from '../src/run/resume/progressLog.js';
import type { CheckpointPoint } from '../src/run/resume/journal.js';
import { digestOf } from '../src/output/segmentDigest.js';
import { workdir } from './helpers.js';

/** Three blocks written after a committed point: their output, sidecar and listed-failures bytes, and the log naming them. */
function written(dir: string) {
  const blocks = [['a,1\nb,2\n', '', ''], ['c,3\n', '{"row":3}\n', '[3,"bad"]\n'], ['d,4\ne,5\n', '', '']];
  const committed: CheckpointPoint = { input: 0, offset: 10, rows: 1, lines: 2, records: 1, scored: 1, failed: 0, outputBytes: 8, sidecarBytes: 0, failuresBytes: 0, writer: null };
  let out = 'id,p\nz,0\n'.slice(0, 8);
  let side = '';
  let failures = '';
  const log: LoggedPoint[] = [{ ...committed, outputDigest: '', sidecarDigest: '', failuresDigest: '' }];
  let prev = committed;
  for (const [o, s, f] of blocks) {
    out += o;
    side += s;
    failures += f;
    const p = { ...prev, records: prev.records + 1, outputBytes: Buffer.byteLength(out), sidecarBytes: Buffer.byteLength(side), failuresBytes: Buffer.byteLength(failures) };
    log.push({ ...p, outputDigest: digestOf(Buffer.from(o)), sidecarDigest: digestOf(Buffer.from(s)), failuresDigest: digestOf(Buffer.from(f)) });
    prev = p;
  }
  const files = { log: path.join(dir, 'log'), output: path.join(dir, 'out'), sidecar: path.join(dir, 'side'), failures: path.join(dir, 'failures') };
  writeFileSync(files.log, log.map((p) => `${JSON.stringify(p)}\n`).join(''));
  writeFileSync(files.output, out);
  writeFileSync(files.sidecar, side);
  writeFileSync(files.failures, failures);
  const furthest = () => furthestWritten(files.log, committed, files).then((walked) => walked.at(-1)!.records);
  return { files, out, side, committed, furthest };
}

test('every logged point whose bytes are there is reached', async () => {
  const w = written(workdir({}));
  assert.equal(await w.furthest(), 4);
  appendFileSync(w.files.output, 'bytes written after the last point\n');
  assert.equal(await w.furthest(), 4, 'bytes past the last point do not matter');
});

test('the walk stops before a point whose output or sidecar bytes differ or are missing', async () => {
  const w = written(workdir({}));
  writeFileSync(w.files.output, `${w.out.slice(0, -4)}\0\0\0\0`);
  assert.equal(await w.furthest(), 3, 'the last block zeroed');
  writeFileSync(w.files.output, w.out.slice(0, -1));
  assert.equal(await w.furthest(), 3, 'the last block short');
  writeFileSync(w.files.output, w.out);
  writeFileSync(w.files.sidecar, '{"row":9}\n');
  assert.equal(await w.furthest(), 2, "the sidecar's entry other than written");
  writeFileSync(w.files.sidecar, w.side);
  writeFileSync(w.files.failures, '');
  assert.equal(await w.furthest(), 2, 'the listed failure missing');
});

/** The log's points as logged in `boot`. */
function loggedIn(file: string, boot: string): void {
  const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
  writeFileSync(file, lines.map((l) => `${JSON.stringify({ ...JSON.parse(l), boot })}\n`).join(''));
}

test("points logged in this boot are reached by the files' lengths; points of another boot by their bytes", async () => {
  const thisBoot = currentBoot();
  assert.ok(thisBoot, 'Linux has a boot id');
  const w = written(workdir({}));
  // Bytes other than written, as only a crash of the machine (a new boot) leaves them.
  writeFileSync(w.files.output, `${w.out.slice(0, -4)}\0\0\0\0`);
  loggedIn(w.files.log, thisBoot);
  assert.equal(await w.furthest(), 4, 'this boot: every write is in the file, as long as the file is');
  writeFileSync(w.files.output, w.out.slice(0, -1));
  assert.equal(await w.furthest(), 3, 'this boot: a file shorter than a point stops the walk');
  writeFileSync(w.files.output, `${w.out.slice(0, -4)}\0\0\0\0`);
  loggedIn(w.files.log, 'an earlier boot');
  assert.equal(await w.furthest(), 3, 'another boot: the bytes are digested');
});

test('a log started from the points walked goes on walking from the same committed point', async () => {
  const w = written(workdir({}));
  const walked = await furthestWritten(w.files.log, w.committed, w.files);
  assert.deepEqual(walked.map((p) => p.records), [1, 2, 3, 4]);
  const log = new ProgressLog(w.files.log, walked);
  const added = 'f,6\n';
  appendFileSync(w.files.output, added);
  const last = walked.at(-1)!;
  log.append({ ...last, records: 5, outputBytes: last.outputBytes + added.length, outputDigest: digestOf(Buffer.from(added)) });
  log.close();
  assert.equal(await w.furthest(), 5, 'killed again before its first checkpoint: the walk still starts at the journal');
});

test('a torn last line, a log that does not hold the committed point, or no log: the committed point', async () => {
  const w = written(workdir({}));
  appendFileSync(w.files.log, '{"input":0,"offs');
  assert.equal(await w.furthest(), 4, 'a torn line ends the log');
  writeFileSync(w.files.log, '');
  assert.equal(await w.furthest(), 1);
  const other = { ...w.committed, records: 99 };
  assert.equal((await furthestWritten(w.files.log, other, w.files)).at(-1)!.records, 99);
  assert.equal((await furthestWritten(path.join(w.files.log, 'none'), w.committed, w.files)).at(-1)!.records, 1);
});

test('a point is in the log file when append() returns (a kill right after loses none), and a commit starts the log from it', () => {
  const file = path.join(workdir({}), 'log');
  const point = (records: number): LoggedPoint => ({ input: 0, offset: records * 10, rows: records, lines: records, records, scored: records, failed: 0, outputBytes: records * 4, sidecarBytes: 0, failuresBytes: 0, writer: null, outputDigest: 'd', sidecarDigest: 'd', failuresDigest: 'd' });
  const log = new ProgressLog(file, []);
  const lines = () => readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').map((l) => (JSON.parse(l) as LoggedPoint).records);
  for (let r = 1; r <= 50; r++) {
    log.append(point(r));
    assert.equal(lines().at(-1), r);
  }
  log.committed(point(40));
  assert.deepEqual(lines(), [40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50]);
  log.append(point(51));
  assert.deepEqual(lines().slice(-2), [50, 51]);
  log.close();
});
