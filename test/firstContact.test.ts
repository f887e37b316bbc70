/**
 * First contact (issue 11): quiet runs whatever the environment, help and usage errors that guide, mapping errors
 * that suggest the fix, a summary that says what made the output, and an inspect sample that counts its failures.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { BIN, ROOT, exists, model, read, runCli, workdir } from './helpers.js';
import { startServer } from './serveHelpers.js';

const LINEAR = model('linear.onnx');
const HEADER = 'id,a,b,c,d\n';

// ---------------------------------------------------------------- 1. onnxruntime's own log lines

test('onnxruntime prints nothing on stderr when HOME is not a writable directory, unless --verbose', async () => {
  // HOME names a file: onnxruntime cannot persist its telemetry id there (even as root) and may warn, in colour.
  // The model carries an initializer no node reads, which onnxruntime always warns about when it loads it: so the
  // --verbose half has a line to let through in every environment.
  const dir = workdir({ 'in.csv': HEADER + '1,1,2,3,4\n', home: 'not a directory\n' });
  const env = { HOME: path.join(dir, 'home'), XDG_CACHE_HOME: '' };
  const WARNS = model('unused_initializer.onnx');
  for (const m of [LINEAR, WARNS]) {
    const quiet = await runCli(['in.csv', '-m', m, '--keep', 'id', '-o', 'o.csv'], { cwd: dir, env });
    assert.equal(quiet.code, 0, quiet.stderr);
    assert.match(quiet.stderr, /^batch-score: 1 read, 1 scored, 0 failed in [\d.]+ s \(.*\)\n$/, 'only our summary line');
    const inspect = await runCli(['inspect', m, '--input', 'in.csv', '--keep', 'id'], { cwd: dir, env });
    assert.equal(inspect.code, 0, inspect.stderr);
    assert.equal(inspect.stderr, '');
  }
  const verbose = await runCli(['in.csv', '-m', WARNS, '--keep', 'id', '-o', 'o.csv', '--verbose'], { cwd: dir, env });
  assert.equal(verbose.code, 0, verbose.stderr);
  assert.match(verbose.stderr, /onnxruntime.*Removing initializer 'unused'/, "--verbose lets onnxruntime's lines through");
});

test("a run leaves nothing of onnxruntime's telemetry behind: no file in /tmp, nothing in HOME", () => {
  // onnxruntime 1.30 on Linux writes a device id and a database under ~/.cache and an empty /tmp/mat-debug-<pid>.log
  // in every process that makes a session, unless its telemetry is turned off. Not in CI mode: the runtime stays
  // quiet by itself when it sees a CI's variables, which would hide the difference.
  const rows = Array.from({ length: 40_000 }, (_, i) => `${i},0.${i},1.5,2.25,3.125`).join('\n');
  const dir = workdir({ 'in.csv': `${HEADER}${rows}\n` });
  const home = path.join(dir, 'home');
  mkdirSync(home);
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, XDG_CACHE_HOME: '', NO_COLOR: '1' };
  for (const name of ['CI', 'TF_BUILD', 'GITHUB_ACTIONS', 'ORT_DISABLE_TELEMETRY', 'ORT_TELEMETRY_DISABLED']) delete env[name];
  for (const workers of ['0', '1']) {
    const r = spawnSync(process.execPath, [BIN, 'in.csv', '-m', LINEAR, '--keep', 'id', '-o', 'o.csv', '--workers', workers], { cwd: dir, env, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const debugLog = path.join('/tmp', `mat-debug-${r.pid}.log`);
    const left = existsSync(debugLog);
    rmSync(debugLog, { force: true });
    assert.equal(left, false, `${debugLog} left behind (--workers ${workers})`);
    assert.deepEqual(readdirSync(home), [], `nothing written in HOME (--workers ${workers})`);
  }
});

test('workers started with a large input are as quiet as the main thread', async () => {
  const rows = Array.from({ length: 40_000 }, (_, i) => `${i},0.${i},1.5,2.25,3.125`).join('\n');
  const dir = workdir({ 'in.csv': `${HEADER}${rows}\n`, home: 'not a directory\n' });
  const r = await runCli(['in.csv', '-m', LINEAR, '--keep', 'id', '-o', 'o.csv', '--workers', '1'], { cwd: dir, env: { HOME: path.join(dir, 'home'), XDG_CACHE_HOME: '' } });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /^batch-score: 40000 read, 40000 scored, 0 failed in [^\n]*\n$/);
});

test('serve: onnxruntime prints nothing on stderr when HOME is not writable, unless --verbose', async () => {
  const dir = workdir({ home: 'not a directory\n' });
  const env = { HOME: path.join(dir, 'home'), XDG_CACHE_HOME: '' };
  const WARNS = model('unused_initializer.onnx');
  for (const workers of ['0', '1']) {
    const quiet = await startServer(['-m', WARNS, '--workers', workers, '--quiet'], { cwd: dir, env });
    const { code } = await quiet.stop();
    assert.equal(code, 0, quiet.stderr());
    assert.doesNotMatch(quiet.stderr(), /onnxruntime/, `--workers ${workers}`);
  }
  const verbose = await startServer(['-m', WARNS, '--verbose', '--quiet'], { cwd: dir, env });
  await verbose.stop();
  assert.match(verbose.stderr(), /onnxruntime.*Removing initializer 'unused'/);
});

// ---------------------------------------------------------------- 2. help and usage errors

const USAGE_ERRORS: Array<[string, string[], RegExp]> = [
  ['an unknown flag', ['in.csv', '-m', LINEAR, '--frobnicate'], /^batch-score: error \[USAGE\] unknown option '--frobnicate' \(see batch-score --help\)\n$/],
  ['a flag without its value', ['in.csv', '-m'], /^batch-score: error \[USAGE\] option '-m, --model <path>' argument missing \(see batch-score --help\)\n$/],
  ['inspect without a model', ['inspect'], /^batch-score: error \[USAGE\] missing required argument 'model' \(see batch-score help inspect\)\n$/],
  ['an unknown inspect flag', ['inspect', LINEAR, '--frobnicate'], /^batch-score: error \[USAGE\] unknown option '--frobnicate' \(see batch-score help inspect\)\n$/],
  ['an unknown profile flag', ['profile', 'in.csv', '-m', LINEAR, '--frobnicate'], /^batch-score: error \[USAGE\] unknown option '--frobnicate' \(see batch-score help profile\)\n$/],
  ['an unknown serve flag', ['serve', '-m', LINEAR, '--frobnicate'], /^batch-score: error \[USAGE\] unknown option '--frobnicate' \(see batch-score help serve\)\n$/],
  ['a serve flag without its value', ['serve', '-m', LINEAR, '--port'], /^batch-score: error \[USAGE\] option '--port <n>' argument missing \(see batch-score help serve\)\n$/],
];
for (const [name, args, line] of USAGE_ERRORS) {
  test(`usage error from the parser, ${name}: our one line, exit 2, no help dump`, async () => {
    const dir = workdir({ 'in.csv': HEADER + '1,1,2,3,4\n' });
    const r = await runCli(args, { cwd: dir });
    assert.equal(r.code, 2);
    assert.match(r.stderr, line);
    assert.equal(r.stdout, '');
  });
}

test('--help: defaults as written (no quoted numbers, one for --workers), every exit code, examples', async () => {
  const r = await runCli(['--help']);
  assert.equal(r.code, 0, r.stderr);
  const help = r.stdout.replace(/\s+/g, ' '); // commander wraps descriptions
  assert.doesNotMatch(help, /default: "/, 'no quoted defaults');
  assert.doesNotMatch(help, /choices: "/);
  assert.match(help, /--batch-size <n> records per model call \(default: 1024\)/);
  assert.match(help, /--max-record-bytes <n> .*\(default: 1048576 \(1 MiB\)\)/);
  const workers = help.match(/--workers <n> [^-]*/)![0];
  assert.equal(workers.match(/default/g)?.length, 1, `one default for --workers: ${workers}`);
  assert.match(help, /--ignore <names>/);
  for (const code of ['0', '1', '2', '3', '4', '5', '129', '130', '143']) assert.match(r.stdout, new RegExp(`^\\s+${code}\\b|; ${code} `, 'm'), `exit code ${code}`);
  assert.match(r.stdout, /Examples:\n {2}\$ batch-score /);
  assert.match(r.stdout, /help \[command\]/);
});

const SUBCOMMANDS: Array<[string, RegExp]> = [
  ['inspect', /^Usage: batch-score inspect \[options\] <model>/],
  ['profile', /^Usage: batch-score profile \[inputs\.\.\.\] -m <model\.onnx> -o <baseline\.json> \[options\]/],
  ['serve', /^Usage: batch-score serve \[options\]/],
];
for (const [name, usage] of SUBCOMMANDS) {
  test(`batch-score help ${name} and ${name} --help: clean defaults, examples, exit codes`, async () => {
    for (const args of [['help', name], [name, '--help']]) {
      const r = await runCli(args);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr, '');
      assert.match(r.stdout, usage);
      const help = r.stdout.replace(/\s+/g, ' ');
      assert.doesNotMatch(help, /default: "|choices: "/, 'no quoted defaults or choices');
      assert.match(help, /-h, --help this help/);
      assert.match(r.stdout, new RegExp(`Examples:\n {2}\\$ batch-score ${name} `));
      assert.match(help, /Exit codes: 0 .* 2 .* 1 internal error/);
      if (name !== 'inspect') assert.match(help, /\b129\/130\/143\b/, 'what a signal ends it with');
    }
  });
}

test('serve --help: every default as written, once', async () => {
  const help = (await runCli(['help', 'serve'])).stdout.replace(/\s+/g, ' ');
  for (const [option, shown] of [['--port <n>', '8080'], ['--missing <mode>', 'error'], ['--max-body-bytes <n>', '4194304 \\(4 MiB\\)'], ['--workers <n>', '0']]) {
    const text = help.slice(help.indexOf(option)).split(/ --?[a-z]/)[0]!;
    assert.match(text, new RegExp(`\\(default: ${shown}\\)$`), text);
  }
  assert.match(help, /\b129\/130\/143\b/);
});

test('batch-score help with no command shows the main usage', async () => {
  const plain = await runCli(['help']);
  assert.equal(plain.code, 0);
  assert.match(plain.stdout, /^Usage: batch-score \[inputs\.\.\.\] -m <model\.onnx> \[options\]/);
});

test('--help into a pipe that closes early ends quietly', async () => {
  const { spawnSync } = await import('node:child_process');
  const r = spawnSync('sh', ['-c', `"${process.execPath}" "${path.join(ROOT, 'bin', 'batch-score.js')}" --help | head -1`], { encoding: 'utf8' });
  assert.equal(r.status, 0);
  assert.match(r.stdout, /^Usage: batch-score/);
  assert.equal(r.stderr, '', 'no EPIPE stack trace');
});

// ---------------------------------------------------------------- 6. mapping errors that suggest the fix

const MAPPING_HINTS: Array<[string, string, string[], RegExp]> = [
  [
    'an extra id column',
    'id,a,b,c,d\n1,1,2,3,4\n',
    [],
    /but the input has 5 columns: id,a,b,c,d; column id looks like an id: copy it to the output with --keep id, or drop it with --ignore id$/,
  ],
  [
    'a camelCase id column',
    'a,b,customerId,c,d\n1,2,x,3,4\n',
    [],
    /column customerId looks like an id: copy it to the output with --keep customerId, or drop it with --ignore customerId$/,
  ],
  [
    "pandas' unnamed index column",
    ',a,b,c,d\n0,1,2,3,4\n',
    [],
    /the input has 5 columns: \(unnamed\),a,b,c,d; column \(unnamed\) looks like the index pandas writes by default \(to_csv without index=False\): drop it with --ignore ""$/,
  ],
  [
    "pandas' index read back and written again",
    'Unnamed: 0,id,a,b,c,d\n0,1,1,2,3,4\n',
    [],
    /column Unnamed: 0 looks like the index pandas writes.*--ignore 'Unnamed: 0'; column id looks like an id: .*--keep id, or drop it with --ignore id$/,
  ],
];
for (const [name, csv, extra, message] of MAPPING_HINTS) {
  test(`mapping error with ${name}: the fix suggested, the columns listed once`, async () => {
    const dir = workdir({ 'in.csv': csv });
    const r = await runCli(['in.csv', '-m', LINEAR, '-o', 'o.csv', ...extra], { cwd: dir });
    assert.equal(r.code, 2, r.stderr);
    const line = r.stderr.trim();
    assert.equal(line.split('\n').length, 1);
    assert.match(line, /^batch-score: error \[MAPPING\] model input float_input \(float32\[N,4\]\) expects 4 features per record/);
    assert.match(line, message);
    assert.equal(line.match(/a,b/g)?.length, 1, 'the columns are listed once');
    assert.doesNotMatch(line, /Model inputs:/, 'the one input is named once');
    assert.equal(exists(dir, 'o.csv'), false);
  });
}

test('a header read as one column that holds another delimiter: the --delimiter to give', async () => {
  const dir = workdir({ 'semi.csv': 'id;a;b;c;d\n1;1,5;2;3;4\n', 'tabs.csv': 'id\ta\tb\tc\td\n1\t1\t2\t3\t4\n' });
  const width = await runCli(['semi.csv', '-m', LINEAR], { cwd: dir });
  assert.equal(width.code, 2);
  assert.match(width.stderr, /expects 4 features per record, but the input has 1 column: id;a;b;c;d; the header was read as one column: if its fields are separated by ';', give --delimiter ';'\n$/);
  const keep = await runCli(['tabs.csv', '-m', LINEAR, '--keep', 'id'], { cwd: dir });
  assert.equal(keep.code, 2);
  assert.match(keep.stderr, /--keep column "id" is not in the input\. Columns found: .*; the header was read as one column: if its fields are separated by tabs, give --delimiter tab\n$/);
  const fixed = await runCli(['tabs.csv', '-m', LINEAR, '--keep', 'id', '--delimiter', 'tab'], { cwd: dir });
  assert.equal(fixed.code, 0, fixed.stderr);
});

test('no suggestion when leaving out the id-like columns would not fix the count', async () => {
  const dir = workdir({ 'in.csv': 'id,a,b,c,d,e\n1,1,2,3,4,5\n' });
  const r = await runCli(['in.csv', '-m', LINEAR], { cwd: dir });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /but the input has 6 columns: id,a,b,c,d,e\n$/);
});

test('the suggested fixes work: --keep id, --ignore "", --ignore with --keep, and --keep "" for an unnamed column', async () => {
  const dir = workdir({ 'id.csv': 'id,a,b,c,d\n7,1,2,3,4\n', 'pd.csv': ',id,a,b,c,d\n0,7,1,2,3,4\n' });
  const keep = await runCli(['id.csv', '-m', LINEAR, '--keep', 'id'], { cwd: dir });
  assert.equal(keep.code, 0, keep.stderr);
  assert.match(keep.stdout, /^id,variable\n7,[-\d.]+\n$/);
  const ignore = await runCli(['pd.csv', '-m', LINEAR, '--ignore', '', '--keep', 'id'], { cwd: dir });
  assert.equal(ignore.code, 0, ignore.stderr);
  assert.equal(ignore.stdout, keep.stdout, 'the ignored column is neither a feature nor in the output');
  const both = await runCli(['pd.csv', '-m', LINEAR, '--ignore', ',id'], { cwd: dir });
  assert.equal(both.code, 0, both.stderr);
  assert.match(both.stdout, /^variable\n[-\d.]+\n$/);
  const keepUnnamed = await runCli(['pd.csv', '-m', LINEAR, '--keep', ',id'], { cwd: dir });
  assert.equal(keepUnnamed.code, 0, keepUnnamed.stderr);
  assert.match(keepUnnamed.stdout, /^,id,variable\n0,7,[-\d.]+\n$/);
});

test('--ignore: a column not in the input, or one also kept, is an error naming it', async () => {
  const dir = workdir({ 'in.csv': 'id,a,b,c,d\n7,1,2,3,4\n' });
  const absent = await runCli(['in.csv', '-m', LINEAR, '--ignore', 'zz'], { cwd: dir });
  assert.equal(absent.code, 2);
  assert.match(absent.stderr, /\[MAPPING\] --ignore column "zz" is not in the input\. Columns found: id,a,b,c,d\n$/);
  const clash = await runCli(['in.csv', '-m', LINEAR, '--ignore', 'id', '--keep', 'id'], { cwd: dir });
  assert.equal(clash.code, 2);
  assert.match(clash.stderr, /\[USAGE\] column "id" is given to --ignore and also to --keep or --features\n$/);
});

test('inspect --ignore maps as a run would', async () => {
  const dir = workdir({ 'pd.csv': ',a,b,c,d\n0,1,2,3,4\n' });
  const r = await runCli(['inspect', LINEAR, '--input', 'pd.csv', '--ignore', '', '--json'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const m = (JSON.parse(r.stdout) as { mapping: { feeds: Array<{ columns: string[] }>; problems: string[] } }).mapping;
  assert.deepEqual(m.feeds.map((f) => f.columns), [['a', 'b', 'c', 'd']]);
  assert.deepEqual(m.problems, []);
});

// ---------------------------------------------------------------- 7. failed records keep their ids

test('a PARSE_ERROR or RECORD_TOO_LARGE record keeps the --keep cells read from the start of its line (CSV)', async () => {
  const csv = [
    'id,a,b,c,d,ref',
    'r1,1,2,3,4,x1',
    'r2,1,2"x,3,4,x2', // a stray quote in b: id read, ref (after the failure) not
    '"r,3",1,"2"x,3,4,x3', // a quoted id, junk after b's closing quote
    `r4,${'9'.repeat(3000)},2,3,4,x4`, // longer than --max-record-bytes: only its beginning is known
    'r5,1,2,3,4,x5',
    '"r6,1,2,3,4,x6', // the quote around the id never closes (it would swallow what follows): nothing is certain
  ].join('\n');
  const dir = workdir({ 'in.csv': `${csv}\n` });
  for (const workers of ['0', '1']) {
    const r = await runCli(['in.csv', '-m', LINEAR, '--keep', 'id,ref', '--features', 'a,b,c,d', '--max-record-bytes', '1000', '-o', 'o.csv', '--workers', workers], { cwd: dir });
    assert.equal(r.code, 3, r.stderr);
    assert.deepEqual(
      read(dir, 'o.csv').trim().split('\n').map((l) => l.replace(/,[-\d.]+$/, ',<p>')),
      ['id,ref,variable', 'r1,x1,<p>', 'r2,,', '"r,3",,', 'r4,,', 'r5,x5,<p>', ',,'],
    );
  }
  // Without a quote in the file, records are cut from blocks of bytes: the same rule there.
  const plain = workdir({ 'in.csv': `id,a,b,c,d\nr1,1,2,3,4\nr2,${'9'.repeat(3000)},2,3,4\nr3,1,2,3,4\n` });
  const b = await runCli(['in.csv', '-m', LINEAR, '--keep', 'id', '--max-record-bytes', '1000'], { cwd: plain });
  assert.equal(b.code, 3, b.stderr);
  assert.deepEqual(b.stdout.trim().split('\n').map((l) => l.split(',')[0]), ['id', 'r1', 'r2', 'r3']);
  // A record longer than a block of bytes (256 KiB) is dropped as it is read: its start is kept for the id.
  const spanning = workdir({ 'in.tsv': `id\ta\tb\tc\td\nr1\t1\t2\t3\t4\nr2\t${'9'.repeat(600_000)}\t2\t3\t4\nr3\t1\t2\t3\t4\n` });
  for (const workers of ['0', '1']) {
    const c = await runCli(['in.tsv', '-m', LINEAR, '--keep', 'id', '--max-record-bytes', '1000', '--workers', workers], { cwd: spanning });
    assert.equal(c.code, 3, c.stderr);
    assert.deepEqual(c.stdout.trim().split('\n').map((l) => l.split('\t')[0]), ['id', 'r1', 'r2', 'r3']);
    assert.match(c.stdout, /^r2\t$/m, 'an empty prediction');
  }
});

test('a JSONL line that is not JSON keeps the --keep members before the point where it breaks', async () => {
  const jsonl = [
    '{"id": "j1", "a": 1, "b": 2, "c": 3, "d": 4}',
    '{"id": "j2", "a": 1, "b": 2, "c": 3, "d": }',
    '{"a": 1, "tags": ["x,y", {"k": "}"}], "id": 3, "b": 2, "c": 3, "d": 4',
    '{"a": 1, "b": oops, "id": "j4", "c": 3, "d": 4}',
  ].join('\n');
  const dir = workdir({ 'in.jsonl': `${jsonl}\n` });
  const r = await runCli(['in.jsonl', '-m', LINEAR, '--keep', 'id', '--features', 'a,b,c,d', '-o', 'o.jsonl'], { cwd: dir });
  assert.equal(r.code, 3, r.stderr);
  const rows = read(dir, 'o.jsonl').trim().split('\n').map((l) => JSON.parse(l) as { id: unknown; variable: unknown });
  assert.deepEqual(rows.map((row) => row.id), ['j1', 'j2', 3, null], 'the id keeps its JSON type; one after the break is unknown');
  assert.deepEqual(rows.map((row) => row.variable === null), [false, true, true, true]);
});

// ---------------------------------------------------------------- 8. summary and inspect's sample

test('the summary JSON carries the tool and onnxruntime versions and the options that shape the output', async () => {
  const dir = workdir({ 'in.csv': ',id,a,b,c,d\n0,1,1,2,3,4\n' });
  const r = await runCli(['in.csv', '-m', LINEAR, '--keep', 'id', '--ignore', '', '-o', 'o.jsonl', '--on-error', 'skip', '--missing', 'nan', '--summary', 's.json'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const s = JSON.parse(read(dir, 's.json')) as Record<string, unknown>;
  const pkg = JSON.parse(read(ROOT, 'package.json')) as { version: string };
  const ort = JSON.parse(read(ROOT, 'node_modules/onnxruntime-node/package.json')) as { version: string };
  assert.deepEqual(s.tool, { name: 'batch-score', version: pkg.version, onnxruntime: ort.version });
  assert.deepEqual(s.options, {
    features: null,
    keep: ['id'],
    ignore: [''],
    outputs: null,
    onError: 'skip',
    missing: 'nan',
    inputFormat: 'csv',
    outputFormat: 'jsonl',
    delimiter: null,
    header: true,
    maxRecordBytes: 1048576,
    shard: null,
    compression: null,
    baseline: null,
    ood: null,
    challenger: null,
  });
});

test('the summary JSON names the newer flags that shape the output: --shard, --compression, --baseline, --ood, --challenger', async () => {
  const rows = Array.from({ length: 200 }, (_, i) => `${i},${i % 7},2,3,4`).join('\n');
  const dir = workdir({ 'in.csv': `${HEADER}${rows}\n` });
  const profile = await runCli(['profile', 'in.csv', '-m', LINEAR, '--keep', 'id', '-o', 'base.json'], { cwd: dir });
  assert.equal(profile.code, 0, profile.stderr);
  const challenger = model('linear_challenger.onnx');
  const args = ['in.csv', '-m', LINEAR, '--keep', 'id', '-o', 'o.parquet', '--compression', 'gzip', '--shard', '1/2', '--baseline', 'base.json', '--ood', 'outside', '--challenger', challenger, '--summary', 's.json'];
  const r = await runCli(args, { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const options = (JSON.parse(read(dir, 's.json')) as { options: Record<string, unknown> }).options;
  assert.deepEqual(
    [options.outputFormat, options.shard, options.compression, options.baseline, options.ood, options.challenger],
    ['parquet', '1/2', 'gzip', 'base.json', 'outside', challenger],
  );
});

test("inspect's sample says how many sampled records failed, never calling them scored", async () => {
  const rows = Array.from({ length: 1200 }, (_, i) => (i % 20 === 7 ? `${i},1,x,3,4` : `${i},1,2,3,4`)).join('\n');
  const dir = workdir({ 'in.csv': `${HEADER}${rows}\n`, 'small.csv': HEADER + '1,1,2,3,4\n2,1,,3,4\n' });
  const r = await runCli(['inspect', LINEAR, '--input', 'in.csv', '--keep', 'id'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^sample {4}the first 1,000 records: 950 scored, 50 failed; the first 5:$/m);
  const small = await runCli(['inspect', LINEAR, '--input', 'small.csv', '--keep', 'id'], { cwd: dir });
  assert.match(small.stdout, /^sample {4}all 2 records: 1 scored, 1 failed:$/m);
  const json = await runCli(['inspect', LINEAR, '--input', 'in.csv', '--keep', 'id', '--json'], { cwd: dir });
  const m = (JSON.parse(json.stdout) as { mapping: { sampled: number; scored: number; failed: number } }).mapping;
  assert.deepEqual([m.sampled, m.scored, m.failed], [1000, 950, 50]);
});
