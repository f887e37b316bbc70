/**
 * Parquet in and out (issue 13), black-box through the CLI, with files written and read back by DuckDB (a real
 * engine): each type, nulls, dictionary and plain pages, snappy/gzip/zstd, several row groups, standard input.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { model, read, readSidecar, runCli, workdir } from './helpers.js';
import { parquetGroupStats, parquetLayout, parquetRows, parquetTypes, writeCsv, writeParquet } from './parquetDb.js';

const LINEAR = model('linear.onnx'); // float_input float32[N,4] → variable
const INT64 = model('int64_input.onnx'); // counts int64[N,3] → score float32, total int64 (exact sum)
const PER_COLUMN = model('per_column.onnx'); // age, income float32, city string (by name)

/** 5,000 rows (3 row groups of 2,048): FLOAT with few values (dictionary), DOUBLE, INTEGER, DECIMAL (plain). */
const TYPED = `SELECT i::BIGINT AS id, (i % 7)::FLOAT AS a, (i / 3)::DOUBLE AS b, (i % 100 - 50)::INTEGER AS c,
  ((i % 1000) / 8)::DECIMAL(9,3) AS d, 'tag' || (i % 3) AS tag FROM range(5000) t(i)`;

for (const codec of ['snappy', 'gzip', 'zstd']) {
  test(`Parquet (${codec}, dictionary and plain pages, 3 row groups) scores exactly as the same data as CSV`, async () => {
    const dir = workdir();
    const file = await writeParquet(dir, 'in.parquet', TYPED, `COMPRESSION ${codec}, ROW_GROUP_SIZE 2048`);
    await writeCsv(dir, 'in.csv', TYPED);
    const layout = await parquetLayout(file);
    assert.deepEqual(layout.codecs, [codec.toUpperCase()]);
    assert.ok(layout.encodings.includes('PLAIN') && layout.encodings.some((e) => /DICTIONARY/.test(e)), layout.encodings.join());
    assert.equal(layout.rowGroups, 3);

    const args = ['-m', LINEAR, '--keep', 'id,tag', '--batch-size', '1000'];
    const pq = await runCli(['in.parquet', ...args, '-o', 'p.csv'], { cwd: dir });
    assert.equal(pq.code, 0, pq.stderr);
    const csv = await runCli(['in.csv', ...args, '-o', 'c.csv'], { cwd: dir });
    assert.equal(csv.code, 0, csv.stderr);
    assert.equal(read(dir, 'p.csv'), read(dir, 'c.csv'));
    assert.equal(read(dir, 'p.csv').split('\n').length, 5002);
  });
}

test('Parquet nulls are MISSING_VALUE (NaN with --missing nan), other kinds INVALID_VALUE; numeric strings are numbers; the sidecar has row, line null, the record as a JSON object', async () => {
  const dir = workdir();
  await writeParquet(dir, 'in.parquet', `SELECT * FROM (VALUES
    (9007199254740993::BIGINT, 1.5::FLOAT, '2.5', 1::INTEGER, 4.0::DOUBLE),
    (2, NULL, '2.5', 1, 4.0),
    (3, 1.5, 'abc', 1, 4.0),
    (4, 1.5, ' -7e-1 ', 1, 4.0)) t(id, a, b, c, d)`);
  const r = await runCli(['in.parquet', '-m', LINEAR, '--keep', 'id', '-o', 'o.csv'], { cwd: dir });
  assert.equal(r.code, 3, r.stderr);
  const errors = readSidecar(dir, 'o.errors.jsonl');
  assert.deepEqual(errors.map((e) => [e.row, e.line, e.code, e.message]), [
    [2, null, 'MISSING_VALUE', 'missing value: column "a" is null'],
    [3, null, 'INVALID_VALUE', 'column "b": "abc" is not a number'],
  ]);
  assert.deepEqual(JSON.parse(errors[0].record), { id: 2, a: null, b: '2.5', c: 1, d: 4 });
  const rows = read(dir, 'o.csv').trim().split('\n');
  assert.equal(rows[0], 'id,variable');
  assert.match(rows[1], /^9007199254740993,[-\d.e]+$/); // int64 kept exactly
  assert.deepEqual([rows[2], rows[3]], ['2,', '3,']);
  assert.match(rows[4], /^4,[-\d.e]+$/);

  const nan = await runCli(['in.parquet', '-m', LINEAR, '--keep', 'id', '--missing', 'nan', '-o', 'n.csv'], { cwd: dir });
  assert.equal(nan.code, 3, nan.stderr);
  assert.deepEqual(readSidecar(dir, 'n.errors.jsonl').map((e) => e.row), [3]);
});

test('Parquet INT64 feeds an int64 input exactly; Parquet out keeps BIGINT and writes FLOAT and BIGINT predictions', async () => {
  const dir = workdir();
  const big = 2n ** 60n;
  await writeParquet(dir, 'in.parquet', `SELECT * FROM (VALUES (1::BIGINT, ${big}::BIGINT, 1::BIGINT, 2::BIGINT), (2, 5, 6, 7), (3, NULL, 1, 1)) t(id, x, y, z)`);
  const r = await runCli(['in.parquet', '-m', INT64, '--keep', 'id', '-o', 'o.parquet'], { cwd: dir });
  assert.equal(r.code, 3, r.stderr);
  const file = path.join(dir, 'o.parquet');
  assert.deepEqual(await parquetTypes(file), { id: 'BIGINT', score: 'FLOAT', total: 'BIGINT' });
  const rows = await parquetRows(file);
  assert.deepEqual(rows.map((x) => [x.id, x.total]), [[1n, big + 3n], [2n, 18n], [3n, null]]);
  assert.equal(rows[1].score, 0.25 * 5 + 0.5 * 6 + 2 * 7 + 1);
  assert.equal(rows[2].score, null);
  assert.deepEqual(readSidecar(dir, 'o.errors.jsonl').map((e) => [e.row, e.code]), [[3, 'MISSING_VALUE']]);

  const skip = await runCli(['in.parquet', '-m', INT64, '--keep', 'id', '-o', 's.parquet', '--on-error', 'skip'], { cwd: dir });
  assert.equal(skip.code, 3, skip.stderr);
  assert.deepEqual((await parquetRows(path.join(dir, 's.parquet'))).map((x) => x.id), [1n, 2n]);
});

test('Parquet columns feed inputs by name: UTF8 (dictionary) to a string input, FLOAT and DOUBLE to float inputs', async () => {
  const dir = workdir();
  const select = `SELECT (20 + i % 50)::FLOAT AS age, (1000 + i * 7.5)::DOUBLE AS income, ['paris', 'lyon', 'nice', 'rome'][1 + i % 4] AS city FROM range(300) t(i)`;
  await writeParquet(dir, 'in.parquet', select);
  await writeCsv(dir, 'in.csv', select);
  assert.equal((await runCli(['in.parquet', '-m', PER_COLUMN, '-o', 'p.csv'], { cwd: dir })).code, 0);
  assert.equal((await runCli(['in.csv', '-m', PER_COLUMN, '-o', 'c.csv'], { cwd: dir })).code, 0);
  assert.equal(read(dir, 'p.csv'), read(dir, 'c.csv'));
});

test('a fixed-length LIST column feeds an [N,K] input named like it; a wrong length is FEATURE_COUNT; a STRUCT feature is a run error', async () => {
  const dir = workdir();
  await writeParquet(dir, 'in.parquet', `SELECT * FROM (VALUES (1, [1.0, 2.0, 3.0, 4.0]::FLOAT[]), (2, [1.0, 2.0, 3.0]::FLOAT[])) t(id, float_input)`);
  await writeParquet(dir, 'flat.parquet', 'SELECT 1 AS id, 1.0::FLOAT AS a, 2.0::FLOAT AS b, 3.0::FLOAT AS c, 4.0::FLOAT AS d');
  const r = await runCli(['in.parquet', '-m', LINEAR, '--keep', 'id', '-o', 'o.csv'], { cwd: dir });
  assert.equal(r.code, 3, r.stderr);
  assert.deepEqual(readSidecar(dir, 'o.errors.jsonl').map((e) => [e.row, e.code]), [[2, 'FEATURE_COUNT']]);
  assert.equal((await runCli(['flat.parquet', '-m', LINEAR, '--keep', 'id', '-o', 'f.csv'], { cwd: dir })).code, 0);
  assert.equal(read(dir, 'o.csv').split('\n')[1], read(dir, 'f.csv').split('\n')[1]);

  await writeParquet(dir, 's.parquet', `SELECT 1.0::FLOAT AS a, 2.0::FLOAT AS b, 3.0::FLOAT AS c, {'x': 1} AS d`);
  const s = await runCli(['s.parquet', '-m', LINEAR, '-o', 's.csv'], { cwd: dir });
  assert.equal(s.code, 2);
  assert.match(s.stderr, /error \[MAPPING\] column "d" of s\.parquet is a STRUCT column; a nested column can feed only an \[N,K\] input/);
});

test('CSV in → Parquet out (kept columns as strings, predictions FLOAT, failed rows null), written atomically and read back by DuckDB', async () => {
  const dir = workdir({ 'in.csv': 'id,a,b,c,d\nx1,1,2,3,4\nx2,1,,3,4\nx3,0.5,0.5,0.5,0.5\n' });
  const r = await runCli(['in.csv', '-m', LINEAR, '--keep', 'id', '-o', 'o.parquet', '--compression', 'gzip'], { cwd: dir });
  assert.equal(r.code, 3, r.stderr);
  const file = path.join(dir, 'o.parquet');
  assert.deepEqual(await parquetTypes(file), { id: 'VARCHAR', variable: 'FLOAT' });
  assert.deepEqual((await parquetLayout(file)).codecs, ['GZIP']);
  const csv = await runCli(['in.csv', '-m', LINEAR, '--keep', 'id', '-o', 'o.csv'], { cwd: dir });
  const expected = read(dir, 'o.csv').trim().split('\n').slice(1).map((l) => l.split(','));
  const rows = await parquetRows(file);
  assert.deepEqual(rows.map((x) => [x.id, x.variable === null ? '' : String(Math.fround(x.variable as number))]), expected.map(([id, v]) => [id, v === '' ? '' : String(Math.fround(Number(v)))]));
  assert.equal(csv.code, 3);
  assert.deepEqual(readdirSync(dir).sort(), ['in.csv', 'o.csv', 'o.errors.jsonl', 'o.parquet']); // no temporary file left
});

test('Parquet in → JSONL and JSON out: kept int64 exact, nulls null', async () => {
  const dir = workdir();
  await writeParquet(dir, 'in.parquet', `SELECT * FROM (VALUES (${2n ** 60n + 1n}::BIGINT, 1.0::FLOAT, 2.0::FLOAT, 3.0::FLOAT, 4.0::FLOAT), (2, NULL, 2, 3, 4)) t(id, a, b, c, d)`);
  assert.equal((await runCli(['in.parquet', '-m', LINEAR, '--keep', 'id', '-o', 'o.jsonl'], { cwd: dir })).code, 3);
  const lines = read(dir, 'o.jsonl').trim().split('\n');
  assert.match(lines[0], /^\{"id":1152921504606846977,"variable":[-\d.e]+\}$/);
  assert.equal(lines[1], '{"id":2,"variable":null}');
  assert.equal((await runCli(['in.parquet', '-m', LINEAR, '--keep', 'id', '-o', 'o.json'], { cwd: dir })).code, 3);
  assert.match(read(dir, 'o.json'), /"id":1152921504606846977,/);
});

test('Parquet on standard input is sniffed by PAR1, spooled to a temporary file, and the file is removed', async () => {
  const dir = workdir();
  const tmp = workdir();
  const file = await writeParquet(dir, 'in.parquet', TYPED, 'ROW_GROUP_SIZE 2048');
  const r = await runCli(['-m', LINEAR, '--keep', 'id,tag', '-o', 'o.parquet'], { cwd: dir, stdin: readFileSync(file), env: { TMPDIR: tmp } });
  assert.equal(r.code, 0, r.stderr);
  const rows = await parquetRows(path.join(dir, 'o.parquet'));
  assert.equal(rows.length, 5000);
  assert.deepEqual(rows.slice(0, 3).map((x) => x.id), [0n, 1n, 2n]);
  assert.deepEqual(readdirSync(tmp).filter((f) => f.startsWith('batch-score-')), []); // (the runtime leaves files of its own)
});

test('several Parquet inputs with one schema are scored in order; another schema is an input error', async () => {
  const dir = workdir();
  await writeParquet(dir, 'a.parquet', 'SELECT i::BIGINT AS id, 1.0::FLOAT AS a, 2.0::FLOAT AS b, 3.0::FLOAT AS c, i::FLOAT AS d FROM range(3) t(i)');
  await writeParquet(dir, 'b.parquet', 'SELECT (10 + i)::BIGINT AS id, 1.0::FLOAT AS a, 2.0::FLOAT AS b, 3.0::FLOAT AS c, NULL::FLOAT AS d FROM range(2) t(i)');
  await writeParquet(dir, 'c.parquet', 'SELECT 1::BIGINT AS id, 1.0::FLOAT AS x');
  const r = await runCli(['a.parquet', 'b.parquet', '-m', LINEAR, '--keep', 'id', '-o', 'o.csv'], { cwd: dir });
  assert.equal(r.code, 3, r.stderr);
  assert.deepEqual(read(dir, 'o.csv').trim().split('\n').map((l) => l.split(',')[0]), ['id', '0', '1', '2', '10', '11']);
  assert.deepEqual(readSidecar(dir, 'o.errors.jsonl').map((e) => [e.source, e.row]), [['b.parquet', 1], ['b.parquet', 2]]);
  const bad = await runCli(['a.parquet', 'c.parquet', '-m', LINEAR, '--keep', 'id', '-o', 'x.csv'], { cwd: dir });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /c\.parquet differs from the header of a\.parquet/);
});

test('an empty Parquet file gives the header (CSV) or an empty typed file (Parquet)', async () => {
  const dir = workdir();
  await writeParquet(dir, 'in.parquet', 'SELECT 1::BIGINT AS id, 1.0::FLOAT AS a, 2.0::FLOAT AS b, 3.0::FLOAT AS c, 4.0::FLOAT AS d LIMIT 0');
  assert.equal((await runCli(['in.parquet', '-m', LINEAR, '--keep', 'id', '-o', 'o.csv'], { cwd: dir })).code, 0);
  assert.equal(read(dir, 'o.csv'), 'id,variable\n');
  assert.equal((await runCli(['in.parquet', '-m', LINEAR, '--keep', 'id', '-o', 'o.parquet'], { cwd: dir })).code, 0);
  assert.deepEqual(await parquetRows(path.join(dir, 'o.parquet')), []);
});

test('an output extension batch-score does not write is a usage error, not a silent CSV; a file that is not Parquet is an input error', async () => {
  const dir = workdir({ 'in.csv': 'a,b,c,d\n1,2,3,4\n', 'bad.parquet': 'a,b,c,d\n1,2,3,4\n' });
  const r = await runCli(['in.csv', '-m', LINEAR, '-o', 'preds.xlsx'], { cwd: dir });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /error \[USAGE\] batch-score does not write \.xlsx files/);
  assert.deepEqual(readdirSync(dir).sort(), ['bad.parquet', 'in.csv']);
  const bad = await runCli(['bad.parquet', '-m', LINEAR, '-o', 'o.csv'], { cwd: dir });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /error \[INPUT\] cannot read bad\.parquet as Parquet/);
});

test('inspect --input x.parquet shows the schema with types and the mapping', async () => {
  const dir = workdir();
  await writeParquet(dir, 'in.parquet', TYPED);
  const r = await runCli(['inspect', LINEAR, '--input', 'in.parquet', '--keep', 'id,tag'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /input +in\.parquet \(parquet\), columns: id INT64, a FLOAT, b DOUBLE, c INT32, d DECIMAL\(9,3\), tag UTF8/);
  assert.match(r.stdout, /float_input \(float32\[N,4\]\) ← a, b, c, d/);
  assert.match(r.stdout, /sample +the first 1,000 records: all scored, no record errors/);
});

/** Numeric columns only (read by the typed fast path): nulls in b, few distinct values in a and c (dictionary). */
const NUMERIC = `SELECT i::BIGINT AS id, (i % 7)::FLOAT AS a, CASE WHEN i % 997 = 5 THEN NULL ELSE (i / 3)::DOUBLE END AS b,
  (i % 100 - 50)::INTEGER AS c, (i * 0.001)::FLOAT AS d FROM range(7000) t(i)`;

for (const version of ['V1', 'V2']) {
  test(`numeric Parquet (data pages ${version}, nulls, 4 row groups) scored in a worker matches CSV and one thread; Parquet out keeps the row groups`, async () => {
    const dir = workdir();
    const file = await writeParquet(dir, 'in.parquet', NUMERIC, `ROW_GROUP_SIZE 2048, PARQUET_VERSION ${version}`);
    await writeCsv(dir, 'in.csv', NUMERIC);
    const layout = await parquetLayout(file);
    assert.equal(layout.rowGroups, 4);
    if (version === 'V2') assert.ok(['DELTA_BINARY_PACKED', 'BYTE_STREAM_SPLIT'].every((e) => layout.encodings.includes(e)), layout.encodings.join());
    else assert.ok(layout.encodings.includes('PLAIN') && layout.encodings.some((e) => /DICTIONARY/.test(e)), layout.encodings.join());

    const args = ['-m', LINEAR, '--keep', 'id', '--batch-size', '500'];
    const runs = {
      csv: await runCli(['in.csv', ...args, '-o', 'c.csv'], { cwd: dir }),
      pq: await runCli(['in.parquet', ...args, '-o', 'p.csv', '--workers', '1'], { cwd: dir }),
      worker: await runCli(['in.parquet', ...args, '-o', 'w.parquet', '--workers', '1'], { cwd: dir }),
      inline: await runCli(['in.parquet', ...args, '-o', 'i.parquet', '--workers', '0'], { cwd: dir }),
    };
    for (const [name, r] of Object.entries(runs)) assert.equal(r.code, 3, `${name}: ${r.stderr}`);
    assert.equal(read(dir, 'p.csv'), read(dir, 'c.csv'));
    const failed = (name: string) => readSidecar(dir, name).map((e) => [e.row, e.code]);
    assert.deepEqual(failed('p.errors.jsonl'), failed('c.errors.jsonl'));
    assert.deepEqual(failed('p.errors.jsonl').map(([row]) => row), [6, 1003, 2000, 2997, 3994, 4991, 5988, 6985]);
    assert.ok(readFileSync(path.join(dir, 'w.parquet')).equals(readFileSync(path.join(dir, 'i.parquet'))), 'the same bytes from a worker and from the main thread');

    const out = path.join(dir, 'w.parquet');
    assert.equal((await parquetLayout(out)).rowGroups, 4);
    const rows = await parquetRows(out);
    const csvRows = read(dir, 'c.csv').trim().split('\n').slice(1).map((l) => l.split(','));
    assert.deepEqual(rows.map((r) => String(r.id)), csvRows.map((c) => c[0]));
    rows.forEach((r, i) => assert.equal(r.variable === null ? '' : String(Math.fround(r.variable as number)), csvRows[i][1] === '' ? '' : String(Math.fround(Number(csvRows[i][1]))), `row ${i + 1}`));
    await assertStatistics(out, ['id', 'variable']);
  });
}

/** Each row group's min, max and null count in the file's metadata are those of its rows (as DuckDB reads both). */
async function assertStatistics(file: string, columns: string[]): Promise<void> {
  const rows = await parquetRows(file);
  let at = 0;
  for (const [g, group] of (await parquetGroupStats(file)).entries()) {
    const mine = rows.slice(at, (at += group.rows));
    for (const name of columns) {
      const values = mine.map((r) => r[name]).filter((v) => v !== null) as Array<number | bigint>;
      const least = values.reduce((a, b) => (b < a ? b : a));
      const most = values.reduce((a, b) => (b > a ? b : a));
      const stats = group.columns[name];
      // DuckDB writes a FLOAT statistic as the shortest text of its float32.
      const text = (v: number | bigint) => (typeof v === 'bigint' ? String(v) : String(Math.fround(v)));
      const statText = (t: string | null) => (typeof least === 'bigint' || t === null ? t : String(Math.fround(Number(t))));
      assert.deepEqual([statText(stats.min), statText(stats.max), stats.nulls], [text(least), text(most), mine.length - values.length], `row group ${g}, ${name}`);
    }
  }
  assert.equal(at, rows.length);
}

test('CSV → Parquet: a row group ends at the first block end at or after the set size, the same whatever the batches and workers, with the statistics of its rows', async () => {
  const dir = workdir();
  await writeCsv(dir, 'in.csv', NUMERIC.replace('range(7000)', 'range(1000)'));
  const args = ['in.csv', '-m', LINEAR, '--keep', 'id'];
  // Blocks of ~2 KiB hold ~50 records: groups of 300 rows and up to a block more.
  const env = { BATCH_SCORE_ROW_GROUP_ROWS: '300', BATCH_SCORE_BLOCK_BYTES: '2048' };
  const pq = await runCli([...args, '--batch-size', '64', '-o', 'o.parquet'], { cwd: dir, env });
  const other = await runCli([...args, '--batch-size', '7', '--workers', '2', '-o', 'p.parquet'], { cwd: dir, env });
  const csv = await runCli([...args, '-o', 'o.csv'], { cwd: dir });
  assert.equal(pq.code, 3, pq.stderr); // one record in 997 has a null feature
  assert.equal(other.code, 3, other.stderr);
  assert.equal(csv.code, 3, csv.stderr);
  const file = path.join(dir, 'o.parquet');
  assert.ok(readFileSync(file).equals(readFileSync(path.join(dir, 'p.parquet'))), 'the same bytes whatever the batches and workers');
  const groups = (await parquetGroupStats(file)).map((g) => g.rows);
  assert.equal(groups.reduce((a, b) => a + b, 0), 1000);
  assert.ok(groups.length >= 3, `several row groups: ${groups}`);
  for (const rows of groups.slice(0, -1)) assert.ok(rows >= 300 && rows < 400, `a group of ${rows} rows: at least the set size, at most a block more`);
  const csvRows = read(dir, 'o.csv').trim().split('\n').slice(1).map((l) => l.split(','));
  assert.deepEqual((await parquetRows(file)).map((r) => [r.id, r.variable === null ? '' : String(r.variable)]), csvRows.map(([id, v]) => [id, v === '' ? '' : String(Math.fround(Number(v)))]));
  await assertStatistics(file, ['variable']);
});

test('Parquet BOOLEAN feeds a bool input (null is MISSING_VALUE) and a bool output is written as BOOLEAN', async () => {
  const dir = workdir();
  await writeParquet(dir, 'in.parquet', `SELECT * FROM (VALUES (1::BIGINT, true, 1.5::FLOAT), (2, false, -0.5), (3, NULL, 2.0), (4, true, -3.0)) t(id, flag, x)`);
  const r = await runCli(['in.parquet', '-m', model('bool_flag.onnx'), '--keep', 'id', '-o', 'o.parquet'], { cwd: dir });
  assert.equal(r.code, 3, r.stderr);
  const file = path.join(dir, 'o.parquet');
  assert.deepEqual(await parquetTypes(file), { id: 'BIGINT', y: 'FLOAT', positive: 'BOOLEAN' });
  assert.deepEqual((await parquetRows(file)).map((x) => [x.id, x.y, x.positive]), [[1n, 3.5, true], [2n, -0.5, false], [3n, null, null], [4n, -1, false]]);
  assert.deepEqual(readSidecar(dir, 'o.errors.jsonl').map((e) => [e.row, e.code, e.message]), [[3, 'MISSING_VALUE', 'missing value: column "flag" is null']]);
  const csv = await runCli(['in.parquet', '-m', model('bool_flag.onnx'), '--keep', 'id', '-o', 'o.csv'], { cwd: dir });
  assert.equal(csv.code, 3, csv.stderr);
  assert.equal(read(dir, 'o.csv'), 'id,y,positive\n1,3.5,true\n2,-0.5,false\n3,,\n4,-1,false\n');
});

test('several Parquet inputs: a column of another type stops the run before anything is scored or written', async () => {
  const dir = workdir();
  await writeParquet(dir, 'a.parquet', 'SELECT i::BIGINT AS id, 1.0::FLOAT AS a, 2.0::FLOAT AS b, 3.0::FLOAT AS c, i::FLOAT AS d FROM range(3) t(i)');
  await writeParquet(dir, 'b.parquet', `SELECT i::BIGINT AS id, 1.0::FLOAT AS a, 2.0::FLOAT AS b, 3.0::FLOAT AS c, 'x' || i AS d FROM range(2) t(i)`);
  const r = await runCli(['a.parquet', 'b.parquet', '-m', LINEAR, '--keep', 'id', '-o', '-'], { cwd: dir });
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /column "d" is BYTE_ARRAY UTF8.* in b\.parquet but FLOAT in a\.parquet; Parquet inputs scored together must share one schema/);
});
