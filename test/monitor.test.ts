/**
 * Monitoring through the built CLI (README "Monitoring"): profiles identical at any parallelism, batch size and
 * unit size; PSI on synthetic N(0,1) data; the HTML report; exit 5; --ood; the challenger.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadWeights, model, read, runCli, workdir } from './helpers.js';
import { normalCsv } from './seeded.js';
import { writeParquet } from './parquetDb.js';

const { models } = await loadWeights();
const predict = (name: string, row: number[]) => models[name].predict(row) as { variable: number[]; label: bigint };

interface Drift {
  verdict: string;
  worst: { column: string; psi: number } | null;
  columns: Array<{ name: string; role: string; psi: number; verdict: string; outsideRange?: { share: number }; newCategories?: Array<{ value: string; count: number }>; missingRateChange: number }>;
  agreement?: { compared: number; numeric: Array<{ column: string; challengerColumn: string; meanAbsDiff: number; maxAbsDiff: number }>; labels: { agreement: number; classes: string[]; confusion: number[][] } | null };
}

const json = <T>(dir: string, name: string): T => JSON.parse(read(dir, name)) as T;

/** A baseline of 4000 N(0,1) records over the linear model's four features, in `dir`. */
async function baseline(dir: string): Promise<void> {
  const r = await runCli(['profile', 'base.csv', '-m', model('linear.onnx'), '--keep', 'id', '-o', 'base.json'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
}

test('the profile is identical for every --workers, --batch-size and unit size', async () => {
  const dir = workdir({ 'in.csv': normalCsv(6000, 4, 7) });
  const profiles: string[] = [];
  for (const [workers, batch, block] of [['0', '1024', ''], ['1', '7', '8192'], ['2', '100', '4096'], ['2', '1', '65536']]) {
    const out = `p-${workers}-${batch}.json`;
    const r = await runCli(['profile', 'in.csv', '-m', model('linear.onnx'), '--keep', 'id', '-o', out, '--workers', workers, '--batch-size', batch], {
      cwd: dir,
      env: block ? { BATCH_SCORE_BLOCK_BYTES: block } : {},
    });
    assert.equal(r.code, 0, r.stderr);
    profiles.push(read(dir, out));
  }
  // Standard input (text read the same way) and JSONL records give the same profile too.
  const stdin = await runCli(['profile', '-m', model('linear.onnx'), '--keep', 'id', '--workers', '1'], { cwd: dir, stdin: readFileSync(path.join(dir, 'in.csv')) });
  assert.equal(stdin.code, 0, stdin.stderr);
  profiles.push(stdin.stdout);
  for (const p of profiles.slice(1)) assert.equal(p, profiles[0]);
  const profile = JSON.parse(profiles[0]) as { schema: string; version: number; columns: Array<{ name: string; role: string; count: number; bins: { counts: number[] } }> };
  assert.equal(profile.schema, 'batch-score/profile');
  assert.equal(profile.version, 1);
  assert.deepEqual(profile.columns.map((c) => `${c.role}:${c.name}`), ['input:f0', 'input:f1', 'input:f2', 'input:f3', 'prediction:variable']);
  for (const c of profile.columns) {
    assert.equal(c.count, 6000);
    assert.equal(c.bins.counts.length, 10);
  }
});

test('a feature shifted by 1.5 sd drifts (PSI ≥ 0.25), the others stay ok; the same distribution is ok everywhere', async () => {
  const dir = workdir({ 'base.csv': normalCsv(4000, 4, 1), 'same.csv': normalCsv(4000, 4, 2), 'shifted.csv': normalCsv(4000, 4, 3, { column: 2, by: 1.5 }) });
  await baseline(dir);
  const same = await runCli(['same.csv', '-m', model('linear.onnx'), '--keep', 'id', '-o', 'same.out.csv', '--baseline', 'base.json', '--drift', 'same.json'], { cwd: dir });
  assert.equal(same.code, 0, same.stderr);
  const ok = json<Drift>(dir, 'same.json');
  assert.equal(ok.columns.length, 5);
  for (const c of ok.columns) assert.ok(c.psi < 0.1, `${c.name}: PSI ${c.psi}`);
  assert.equal(ok.verdict, 'ok');
  assert.match(same.stderr, /; drift: ok \(worst \w+, PSI 0\.0\d\d\) → same\.json/);

  const shifted = await runCli(['shifted.csv', '-m', model('linear.onnx'), '--keep', 'id', '-o', 'shifted.out.csv', '--baseline', 'base.json', '--drift', 'shifted.json', '--summary', 's.json'], { cwd: dir });
  assert.equal(shifted.code, 0, shifted.stderr);
  const report = json<Drift>(dir, 'shifted.json');
  const byName = new Map(report.columns.map((c) => [c.name, c]));
  assert.ok(byName.get('f2')!.psi >= 0.25);
  assert.equal(byName.get('f2')!.verdict, 'drift');
  for (const f of ['f0', 'f1', 'f3']) assert.ok(byName.get(f)!.psi < 0.1, `${f}: ${byName.get(f)!.psi}`);
  assert.equal(report.verdict, 'drift');
  assert.match(shifted.stderr, /; drift: drift \(worst f2, PSI \d+\.\d{3}\) → shifted\.json/);
  const summary = json<{ exitCode: number; drift: { verdict: string; worst: { column: string } } }>(dir, 's.json');
  assert.equal(summary.drift.verdict, 'drift');
  assert.equal(summary.drift.worst.column, 'f2');
  assert.equal(summary.exitCode, 0);
});

test('the HTML report is self-contained: no scripts, nothing fetched, inline SVG; one section per column, by PSI', async () => {
  const dir = workdir({ 'base.csv': normalCsv(3000, 4, 1), 'day.csv': normalCsv(3000, 4, 5, { column: 1, by: 0.6 }) });
  await baseline(dir);
  const r = await runCli(['day.csv', '-m', model('linear.onnx'), '--keep', 'id', '-o', 'out.csv', '--baseline', 'base.json', '--drift', 'report.html'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const html = read(dir, 'report.html');
  assert.match(html, /^<!DOCTYPE html>/);
  assert.doesNotMatch(html, /https?:\/\//);
  assert.doesNotMatch(html, /<script|<link|@import|@font-face|url\(/i);
  assert.doesNotMatch(html, /\b(src|href)="(?!#)/);
  const sections = [...html.matchAll(/<section id="col-\d+"><h2>([^<]+) <small>/g)].map((m) => m[1]);
  assert.deepEqual([...sections].sort(), ['f0', 'f1', 'f2', 'f3', 'variable']);
  // Sorted by PSI, highest first: the same order as the JSON report's.
  const again = await runCli(['day.csv', '-m', model('linear.onnx'), '--keep', 'id', '-o', 'out2.csv', '--baseline', 'base.json', '--drift', 'report.json'], { cwd: dir });
  assert.equal(again.code, 0, again.stderr);
  const psis = json<Drift>(dir, 'report.json').columns;
  assert.deepEqual(sections, psis.map((c) => c.name));
  for (let i = 1; i < psis.length; i++) assert.ok(psis[i - 1].psi >= psis[i].psi);
  assert.equal(sections[0], 'f1');
  assert.equal(html.match(/<svg /g)?.length, 5);
  assert.match(html, /<table class="summary">/);
});

test('--max-drift: the output is complete, then exit 5 (and 0 when the drift stays under it)', async () => {
  const dir = workdir({ 'base.csv': normalCsv(2000, 4, 1), 'shifted.csv': normalCsv(2000, 4, 9, { column: 0, by: 1.5 }) });
  await baseline(dir);
  const args = ['shifted.csv', '-m', model('linear.onnx'), '--keep', 'id', '-o', 'out.csv', '--baseline', 'base.json', '--summary', 's.json'];
  const over = await runCli([...args, '--max-drift', '0.25'], { cwd: dir });
  assert.equal(over.code, 5, over.stderr);
  assert.equal(read(dir, 'out.csv').trim().split('\n').length, 2001);
  assert.equal(json<{ exitCode: number }>(dir, 's.json').exitCode, 5);
  assert.match(over.stderr, /over --max-drift 0\.25/);
  const under = await runCli([...args, '--max-drift', '1000'], { cwd: dir });
  assert.equal(under.code, 0, under.stderr);
  const usage = await runCli(['shifted.csv', '-m', model('linear.onnx'), '--max-drift', '0.2'], { cwd: dir });
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /\[USAGE\] --max-drift compares with a baseline/);
});

test('--ood names the features outside the baseline range, per record', async () => {
  const dir = workdir({
    'base.csv': 'id,a,b,c,d\n1,0,0,0,0\n2,10,10,10,10\n3,5,5,5,5\n',
    'day.csv': 'id,a,b,c,d\nin,1,2,3,4\nhigh,1,11,3,4\nboth,-1,2,3,10.5\nbad,1,,3,4\n',
  });
  const p = await runCli(['profile', 'base.csv', '-m', model('linear.onnx'), '--keep', 'id', '-o', 'base.json'], { cwd: dir });
  assert.equal(p.code, 0, p.stderr);
  const r = await runCli(['day.csv', '-m', model('linear.onnx'), '--keep', 'id', '-o', 'out.csv', '--baseline', 'base.json', '--ood', 'outside'], { cwd: dir });
  assert.equal(r.code, 3, r.stderr);
  const rows = read(dir, 'out.csv').trim().split('\n').map((l) => l.split(',')[0] === 'both' ? l : l);
  assert.equal(rows[0], 'id,outside,variable');
  assert.match(rows[1], /^in,,/);
  assert.match(rows[2], /^high,b,/);
  assert.match(rows[3], /^both,"a,d",/);
  assert.equal(rows[4], 'bad,,');
  const jsonl = await runCli(['day.csv', '-m', model('linear.onnx'), '--keep', 'id', '-o', 'out.jsonl', '--baseline', 'base.json', '--ood', 'outside'], { cwd: dir });
  assert.equal(jsonl.code, 3);
  assert.deepEqual(read(dir, 'out.jsonl').trim().split('\n').map((l) => (JSON.parse(l) as { outside: string | null }).outside), ['', 'b', 'a,d', null]);
});

test('--challenger: its predictions as challenger_ columns, and agreement in the summary and the drift report', async () => {
  const rows = [[1, 2, 3, 4], [0, 0, 0, 0], [-1.5, 0.25, 10, 100], [5.1, 3.5, 1.4, 0.2], [6, 2.9, 4.5, 1.5], [5, 2, 7, 3]];
  const csv = `a,b,c,d\n${rows.map((r) => r.join(',')).join('\n')}\n`;
  const dir = workdir({ 'in.csv': csv });
  const r = await runCli(['in.csv', '-m', model('linear.onnx'), '--challenger', model('linear_challenger.onnx'), '-o', 'out.csv', '--summary', 's.json'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const out = read(dir, 'out.csv').trim().split('\n');
  assert.equal(out[0], 'variable,challenger_variable');
  const diffs = rows.map((row, i) => {
    const [main, other] = out[i + 1].split(',').map(Number);
    const want = [predict('linear', row).variable[0], predict('linear_challenger', row).variable[0]];
    assert.ok(Math.abs(main - want[0]) < 1e-3 * Math.max(1, Math.abs(want[0])));
    assert.ok(Math.abs(other - want[1]) < 1e-3 * Math.max(1, Math.abs(want[1])));
    return Math.abs(main - other);
  });
  const agreement = json<{ agreement: NonNullable<Drift['agreement']> }>(dir, 's.json').agreement;
  assert.equal(agreement.compared, rows.length);
  assert.equal(agreement.numeric[0].column, 'variable');
  assert.equal(agreement.numeric[0].challengerColumn, 'challenger_variable');
  assert.ok(Math.abs(agreement.numeric[0].meanAbsDiff - diffs.reduce((a, b) => a + b) / diffs.length) < 1e-4);
  assert.ok(Math.abs(agreement.numeric[0].maxAbsDiff - Math.max(...diffs)) < 1e-4);
  assert.equal(agreement.labels, null);

  // Labels: agreement rate and the confusion table, also in the drift report; the same with workers.
  const big = `a,b,c,d\n${Array.from({ length: 3000 }, (_, i) => rows[i % rows.length].map((v) => v + (i % 7) * 0.25).join(',')).join('\n')}\n`;
  const labels = workdir({ 'in.csv': big });
  const p = await runCli(['profile', 'in.csv', '-m', model('linear_classifier.onnx'), '-o', 'base.json'], { cwd: labels });
  assert.equal(p.code, 0, p.stderr);
  const reports: string[] = [];
  for (const workers of ['0', '2']) {
    const c = await runCli(['in.csv', '-m', model('linear_classifier.onnx'), '--challenger', model('linear_classifier_challenger.onnx'), '-o', `out${workers}.csv`, '--baseline', 'base.json', '--drift', `r${workers}.json`, '--workers', workers], {
      cwd: labels,
      env: { BATCH_SCORE_BLOCK_BYTES: '4096' },
    });
    assert.equal(c.code, 0, c.stderr);
    reports.push(read(labels, `r${workers}.json`));
  }
  assert.equal(reports[0], reports[1]);
  const header = read(labels, 'out0.csv').split('\n')[0];
  assert.equal(header, 'label,probabilities_0,probabilities_1,probabilities_2,challenger_label,challenger_probabilities_0,challenger_probabilities_1,challenger_probabilities_2');
  const expected = big.trim().split('\n').slice(1).map((l) => l.split(',').map(Number)).map((x) => [String(predict('linear_classifier', x).label), String(predict('linear_classifier_challenger', x).label)]);
  const agree = expected.filter(([a, b]) => a === b).length / expected.length;
  const drift = JSON.parse(reports[0]) as Drift;
  assert.ok(Math.abs(drift.agreement!.labels!.agreement - agree) < 0.01, `${drift.agreement!.labels!.agreement} vs ${agree}`);
  assert.ok(agree < 1 && agree > 0);
  const table = drift.agreement!.labels!;
  assert.equal(table.confusion.flat().reduce((a, b) => a + b), 3000);
  assert.equal(drift.verdict, 'ok'); // the same data as the baseline
});

test('monitoring refuses what it cannot do, in one line', async () => {
  const dir = workdir({ 'in.csv': 'a,b,c,d\n1,2,3,4\n', 'not.json': '{"x":1}' });
  const cases: Array<[string[], RegExp]> = [
    [['--baseline', 'not.json'], /\[INPUT\] --baseline not\.json is not a batch-score profile/],
    [['--baseline', 'missing.json'], /\[INPUT\] cannot read --baseline missing\.json: no such file$/m],
    [['--baseline', '.'], /\[INPUT\] cannot read --baseline \.: it is a directory$/m],
    [['--drift', 'r.html'], /\[USAGE\] --drift compares with a baseline/],
    [['--baseline', 'not.json', '--drift', 'r.txt'], /\[USAGE\] --drift "r\.txt": the report is \.json or \.html/],
    [['--challenger', model('multi_output.onnx')], /\[(MAPPING|MODEL)\] /],
    [['--baseline', 'huge.json'], /\[INPUT\] --baseline huge\.json: column "a" has more bins than a profile holds/],
  ];
  // A hand-made baseline with more bins than the hot loop's slots can name.
  const made = await runCli(['profile', 'in.csv', '-m', model('linear.onnx'), '-o', 'base.json'], { cwd: dir });
  assert.equal(made.code, 0, made.stderr);
  const huge = JSON.parse(read(dir, 'base.json')) as { columns: Array<{ name: string; bins: { keys: number[] } }> };
  huge.columns.find((c) => c.name === 'a')!.bins.keys = Array.from({ length: 70_000 }, (_, i) => i);
  writeFileSync(path.join(dir, 'huge.json'), JSON.stringify(huge));
  for (const [args, message] of cases) {
    const r = await runCli(['in.csv', '-m', model('linear.onnx'), '-o', 'out.csv', ...args], { cwd: dir });
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  }
});

test('categories: top values with shares, and new ones in the drift report', async () => {
  const cities = (n: number, extra: string | null) =>
    `age,income,city\n${Array.from({ length: n }, (_, i) => `${20 + (i % 40)},${1000 * (i % 13)},${extra && i % 4 === 0 ? extra : ['paris', 'lyon', 'nice'][i % 3]}`).join('\n')}\n`;
  const dir = workdir({ 'base.csv': cities(600, null), 'day.csv': cities(600, 'marseille') });
  const p = await runCli(['profile', 'base.csv', '-m', model('per_column.onnx'), '-o', 'base.json'], { cwd: dir });
  assert.equal(p.code, 0, p.stderr);
  const city = json<{ columns: Array<{ name: string; kind: string; top: Array<{ value: string; share: number }>; other: { share: number } }> }>(dir, 'base.json').columns.find((c) => c.name === 'city')!;
  assert.equal(city.kind, 'categorical');
  assert.deepEqual(city.top.map((t) => [t.value, t.share]), [['lyon', 1 / 3], ['nice', 1 / 3], ['paris', 1 / 3]]);
  assert.equal(city.other.share, 0);
  const r = await runCli(['day.csv', '-m', model('per_column.onnx'), '-o', 'out.csv', '--baseline', 'base.json', '--drift', 'r.json'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const c = json<Drift>(dir, 'r.json').columns.find((x) => x.name === 'city')!;
  assert.deepEqual(c.newCategories, [{ value: 'marseille', count: 150 }]);
  assert.ok(c.psi >= 0.25);
});

test('Parquet input profiles and drifts as its CSV does (row groups as units, the column-wise path too)', async () => {
  const dir = workdir({ 'base.csv': normalCsv(3000, 4, 11), 'day.csv': normalCsv(3000, 4, 12, { column: 3, by: 1 }) });
  const columns = `id, ${[0, 1, 2, 3].map((j) => `f${j}::DOUBLE AS f${j}`).join(', ')}`;
  for (const name of ['base', 'day']) {
    await writeParquet(dir, `${name}.parquet`, `SELECT ${columns} FROM read_csv('${path.join(dir, `${name}.csv`)}', all_varchar = true)`, 'ROW_GROUP_SIZE 1024');
  }
  const profile = async (input: string, out: string) => {
    const r = await runCli(['profile', input, '-m', model('linear.onnx'), '--keep', 'id', '-o', out], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    return read(dir, out);
  };
  assert.equal(await profile('base.parquet', 'pq.json'), await profile('base.csv', 'csv.json'));
  const reports: string[] = [];
  for (const [input, output, workers] of [['day.csv', 'o.csv', '1'], ['day.parquet', 'o.parquet', '0'], ['day.parquet', 'o2.parquet', '2'], ['day.parquet', 'o.csv', '2']]) {
    const r = await runCli([input, '-m', model('linear.onnx'), '--keep', 'id', '-o', output, '--baseline', 'csv.json', '--drift', 'r.json', '--workers', workers], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    reports.push(read(dir, 'r.json'));
  }
  for (const r of reports.slice(1)) assert.equal(r, reports[0]);
  assert.equal((JSON.parse(reports[0]) as Drift).worst!.column, 'f3');
});
