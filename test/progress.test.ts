/**
 * The progress bar (issue 11, item 3): the total of all inputs, counts with thousands separators, no percentage
 * when the size is unknown, and a line that fits the terminal. The line is a pure function (unit tests); the bar
 * itself is checked black-box on a pseudo-terminal made by util-linux's `script`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import fc from 'fast-check';
import { progressLine, totalBytes, type ProgressState } from '../src/report/progress.js';
import { BIN, model, runCli, workdir } from './helpers.js';

const state = (s: Partial<ProgressState>): ProgressState => ({ bytes: 0, total: 100, records: 0, failed: 0, seconds: 1, eta: null, ...s });

test('a known size: bar, percentage of the bytes of all inputs, counts, rate and ETA with thousands separators', () => {
  const big = state({ bytes: 450, total: 1000, records: 1_234_567, failed: 12_345, seconds: 10, eta: 3723 });
  assert.equal(progressLine(big, 120), '[██████████████░░░░░░░░░░░░░░░░]  45% · 1,234,567 records · 12,345 failed · 123,457 rec/s · ETA 1:02:03');
  // In 80 columns, numbers this large leave no room for a useful bar: the numbers stay, the bar goes.
  assert.equal(progressLine(big, 80), '45% · 1,234,567 records · 12,345 failed · 123,457 rec/s · ETA 1:02:03');
  const line = progressLine(state({ bytes: 450, total: 1000, records: 45_678, failed: 12, seconds: 10, eta: 75 }), 80);
  assert.equal(line, '[████████░░░░░░░░░░]  45% · 45,678 records · 12 failed · 4,568 rec/s · ETA 1:15');
  assert.ok(line.length <= 79, `${line.length} columns`);
  assert.match(progressLine(state({ eta: null }), 80), / · ETA –$/, 'no ETA before there is an estimate');
  assert.match(progressLine(state({ bytes: 100, total: 100, eta: 0 }), 80), /^\[█+\] 100% /);
});

test('an unknown size (standard input): counts, rate and time, no bar, no percentage, no ETA', () => {
  const line = progressLine(state({ total: null, bytes: 5e9, records: 98_765_432, failed: 1_001, seconds: 65 }), 80);
  assert.equal(line, '98,765,432 records · 1,001 failed · 1,519,468 rec/s · 1:05 elapsed');
});

test('every line fits the terminal, and the bar never widens again once it has shrunk', () => {
  fc.assert(
    fc.property(
      fc.record({ records: fc.nat({ max: 2e9 }), failed: fc.nat({ max: 2e9 }), seconds: fc.double({ min: 0.001, max: 1e6, noNaN: true }), eta: fc.option(fc.nat({ max: 1e7 })), known: fc.boolean() }),
      fc.integer({ min: 20, max: 200 }),
      ({ records, failed, seconds, eta, known }, width) => {
        const layout = { bar: 30 };
        const line = progressLine(state({ records, failed: Math.min(failed, records), seconds, eta, total: known ? 100 : null, bytes: 50 }), width, layout);
        assert.ok(line.length <= width - 1, `${line.length} > ${width - 1}: ${line}`);
        const bar = layout.bar;
        progressLine(state({ records: 1, seconds: 1, total: 100 }), width, layout);
        assert.ok(layout.bar <= bar);
      },
    ),
  );
});

test('the total is what the run reads: every input file, a shard\'s parts, a resumed run\'s rest; unknown with standard input', () => {
  const dir = workdir({ 'a.csv': 'x'.repeat(300), 'b.csv': 'y'.repeat(700) });
  const [a, b] = [path.join(dir, 'a.csv'), path.join(dir, 'b.csv')];
  assert.equal(totalBytes([a, b]), 1000);
  assert.equal(totalBytes([a, '-']), null);
  assert.equal(totalBytes([{ name: a, range: { head: 10, start: 100, end: 250 } }, { name: b, range: null }]), 10 + 150 + 700);
  assert.equal(totalBytes([{ name: a, range: { head: 10, start: 100, end: 250, inflated: true } }]), 300, 'a gzip part is read from the start');
  assert.equal(totalBytes(['s3://bucket/key.csv']), null);
});

test("a resumed run's records from its checkpoint are counted, not in the rate", () => {
  assert.equal(progressLine(state({ total: null, records: 1_500_000, recordsBefore: 1_000_000, seconds: 10 }), 80), '1,500,000 records · 0 failed · 50,000 rec/s · 0:10 elapsed');
});

/** Runs a shell command with stderr (and stdout) on an 80-column pseudo-terminal; returns what was drawn. */
function onTerminal(command: string, cwd: string, env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' }): string | null {
  const probe = spawnSync('script', ['--version'], { encoding: 'utf8' });
  if (probe.error) return null;
  const r = spawnSync('script', ['-qec', `stty cols 80 rows 24; ${command}`, '/dev/null'], { cwd, encoding: 'utf8', env });
  return r.stdout;
}

/** The frames of the bar: each redraw starts at column 1 (ESC[1G) and ends by clearing the line (ESC[0K). */
function frames(drawn: string): string[] {
  return [...drawn.matchAll(/\x1b\[1G([^\x1b]*)\x1b\[0K/g)].map((m) => m[1]).filter((f) => f !== '');
}

const rows = (n: number, from = 0): string => Array.from({ length: n }, (_, i) => `${from + i},0.5,1.5,2.5,3.5\n`).join('');

test('on a terminal: the percentage counts every input (the first of two files is a tenth of the bytes)', (t) => {
  const dir = workdir({ 'small.csv': `id,a,b,c,d\n${rows(6_000)}`, 'large.csv': `id,a,b,c,d\n${rows(54_000, 6_000)}` });
  const node = process.execPath;
  const drawn = onTerminal(`"${node}" "${BIN}" small.csv large.csv -m "${model('linear.onnx')}" --keep id -o out.csv --workers 0`, dir);
  if (drawn === null) return t.skip('util-linux script is not installed: no pseudo-terminal to draw on');
  const all = frames(drawn);
  assert.ok(all.length > 0, `a bar was drawn: ${JSON.stringify(drawn.slice(0, 300))}`);
  for (const f of all) {
    assert.match(f, /^\[[█░]+\] +\d+% · [\d,]+ records · [\d,]+ failed · [\d,]+ rec\/s · ETA (–|[\d:]+)$/);
    assert.ok([...f].length <= 79, `fits 80 columns: ${f}`);
  }
  const first = Number(/(\d+)%/.exec(all[0])![1]);
  assert.ok(first <= 10, `the first frame (during the small file) is at most its tenth of the total, got ${first}%`);
  assert.match(all.at(-1)!, /\] 100% · 60,000 records · /, 'the last frame: everything read');
  assert.match(drawn, /batch-score: 60000 read, 60000 scored, 0 failed/);
});

test('on a terminal: a shard counts its own part (100% at its end), --output-dir the records of every input', (t) => {
  const dir = workdir({ 'small.csv': `id,a,b,c,d\n${rows(6_000)}`, 'large.csv': `id,a,b,c,d\n${rows(54_000, 6_000)}` });
  const run = `"${process.execPath}" "${BIN}" small.csv large.csv -m "${model('linear.onnx')}" --keep id --workers 0`;
  const shard = onTerminal(`${run} -o out.csv --shard 1/2`, dir);
  if (shard === null) return t.skip('util-linux script is not installed: no pseudo-terminal to draw on');
  const read = Number(/batch-score: (\d+) read/.exec(shard)![1]);
  assert.ok(read > 20_000 && read < 40_000, `the shard's half: ${read}`);
  assert.match(frames(shard).at(-1)!, new RegExp(`\\] 100% · ${read.toLocaleString('en-US')} records · `));
  const dirRun = frames(onTerminal(`${run} --output-dir out`, dir)!);
  assert.match(dirRun.at(-1)!, /\] 100% · 60,000 records · /, 'the counts of both inputs, not the last one\'s');
});

test('on a terminal, reading a pipe of unknown size: counts and rate, never a percentage', (t) => {
  const dir = workdir({ 'in.csv': `id,a,b,c,d\n${rows(30_000)}` });
  const drawn = onTerminal(`cat in.csv | "${process.execPath}" "${BIN}" -m "${model('linear.onnx')}" --keep id -o out.csv --workers 0`, dir);
  if (drawn === null) return t.skip('util-linux script is not installed: no pseudo-terminal to draw on');
  const all = frames(drawn);
  assert.ok(all.length > 0, 'a bar was drawn');
  for (const f of all) assert.match(f, /^[\d,]+ records · [\d,]+ failed · [\d,]+ rec\/s · \d+:\d\d elapsed$/);
});

test('never on a pipe, nor with --no-progress or --quiet on a terminal', (t) => {
  const dir = workdir({ 'in.csv': `id,a,b,c,d\n${rows(30_000)}` });
  for (const flag of ['--no-progress', '--quiet']) {
    const drawn = onTerminal(`"${process.execPath}" "${BIN}" in.csv -m "${model('linear.onnx')}" --keep id -o out.csv ${flag}`, dir);
    if (drawn === null) return t.skip('util-linux script is not installed');
    assert.deepEqual(frames(drawn), [], flag);
  }
});

test('colours on a terminal only: the summary line green, an error red; none with --no-color or NO_COLOR, none on a pipe', async (t) => {
  const dir = workdir({ 'in.csv': `id,a,b,c,d\n${rows(10)}` });
  const run = `"${process.execPath}" "${BIN}" in.csv -m "${model('linear.onnx')}" --keep id -o out.csv --workers 0`;
  const withColour = { ...process.env };
  delete withColour.NO_COLOR;
  const ok = onTerminal(run, dir, withColour);
  if (ok === null) return t.skip('util-linux script is not installed');
  assert.match(ok, /\x1b\[32mbatch-score: 10 read, 10 scored, 0 failed/, JSON.stringify(ok));
  const failed = onTerminal(`${run} --batch-size 0`, dir, withColour)!;
  assert.match(failed, /\x1b\[31mbatch-score: error \[USAGE\]/, JSON.stringify(failed));
  for (const plain of [onTerminal(`${run} --no-color`, dir, withColour)!, onTerminal(run, dir)!]) {
    assert.doesNotMatch(plain, /\x1b\[3\dm/, JSON.stringify(plain));
    assert.match(plain, /batch-score: 10 read, 10 scored, 0 failed/);
  }
  const piped = await runCli(['in.csv', '-m', model('linear.onnx'), '--keep', 'id', '-o', 'out.csv', '--workers', '0'], { cwd: dir, env: { NO_COLOR: '' } });
  assert.doesNotMatch(piped.stderr, /\x1b/, 'no colour on a pipe');
  assert.match(piped.stderr, /batch-score: 10 read, 10 scored, 0 failed/);
});
