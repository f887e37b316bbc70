/**
 * Every input through every path (ripgrep's SearcherTester): each input of the table is scored by the built CLI
 * under many settings — workers 0/1/2, batch sizes 1/3/1024, normal or tiny blocks and reads, LF/CRLF/CR line
 * ends, gzip or not, a file or standard input — and every run must give the same output bytes, the same sidecar
 * (but for the source's name) and the same exit code as the reference run (workers 0, batch 1024, normal blocks,
 * LF, a plain file), whose failures the table states.
 *
 * Tiny blocks and reads (BATCH_SCORE_BLOCK_BYTES, BATCH_SCORE_READ_BYTES, see src/input/testSizes.ts) make inputs of
 * a few lines reach what otherwise takes megabytes: a block boundary after nearly every record, records and CRLF
 * split across reads, workers taking over after the blocks scored inline, a long record making the reader fall
 * back to text. The full cross product (216 runs per input) is too slow for the suite: each run starts node and
 * onnxruntime (~1–1.5 s on 2 shared cores). So the inputs marked `pairs` run settings covering every pair of
 * values (13 runs, all-pairs), the others 4 quick settings using every value; `deep` adds every workers × batch
 * size × blocks. Runs go 2 at a time (per core); the file took 65–85 s on the loaded 2-core machine.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { gunzipSync, gzipSync } from 'node:zlib';
import { exists, model, read, runCli, workdir } from './helpers.js';
import { sizeFromEnv } from '../src/input/testSizes.js';

type Eol = 'LF' | 'CRLF' | 'CR';

interface Setting {
  workers: number;
  batch: number;
  tiny: boolean;
  eol: Eol;
  gzip: boolean;
  stdin: boolean;
}

interface Input {
  name: string;
  ext: 'csv' | 'tsv' | 'jsonl';
  model: string;
  args: string[];
  /** The records (a quoted field may hold a line break: data, the same in every variant), joined by the line end. */
  records: string[];
  /** Line ends to try (JSONL has no CR-only line ends: a lone CR is whitespace in JSON). */
  eols: Eol[];
  /** A line end after the last record. */
  finalEol: boolean;
  bom?: boolean;
  /** Arguments added when the input comes from standard input. */
  stdinArgs?: string[];
  /** Settings covering every pair of values (else a few quick ones). */
  pairs?: boolean;
  /** Every combination of workers × batch size × blocks too. */
  deep?: boolean;
  /** The reference run: its exit code, records read, and failures as [row, line, code]. */
  expected: { code: number; read: number; failures: Array<[number, number, string]> };
}

const EOL: Record<Eol, string> = { LF: '\n', CRLF: '\r\n', CR: '\r' };
const TINY = { BATCH_SCORE_BLOCK_BYTES: '24', BATCH_SCORE_READ_BYTES: '5' };
const REFERENCE: Setting = { workers: 0, batch: 1024, tiny: false, eol: 'LF', gzip: false, stdin: false };
const LINEAR = model('linear.onnx');

/** Plain numbers the way programs print them: integers, decimals, negatives, exponents. */
const plainRow = (i: number, sep = ','): string => [`r${i}`, i / 4, `-${i * 3}.5`, `1e-${i % 5}`, (i * 7) % 11].join(sep);

const INPUTS: Input[] = [
  {
    name: 'CSV with a BOM, blank lines, bad records (field counts, non-numbers, missing values, stray quotes), an unterminated quote at the end',
    ext: 'csv',
    model: LINEAR,
    args: ['--keep', 'id'],
    bom: true,
    records: [
      'id,a,b,c,d',
      ...range(1, 6).map((i) => plainRow(i)),
      'r7,1,2,3',
      'r8,1,2,3,4,5',
      '',
      'r9,abc,2,3,4',
      'r10,1.2.3,2,3,4',
      'r11,0x10,2,3,4',
      'r12,,2,3,4',
      'r13,1,NA,3,4',
      '  ',
      ...range(14, 20).map((i) => plainRow(i)),
      'r21,1,2,3,4"',
      'r22,1,"2"x,3,4',
      'r23',
      plainRow(24),
      'r25,1,2,3,"4',
    ],
    eols: ['LF', 'CRLF', 'CR'],
    finalEol: false,
    pairs: true,
    expected: {
      code: 3,
      read: 25,
      failures: [
        [7, 8, 'FEATURE_COUNT'],
        [8, 9, 'FEATURE_COUNT'],
        [9, 11, 'INVALID_VALUE'],
        [10, 12, 'INVALID_VALUE'],
        [11, 13, 'INVALID_VALUE'],
        [12, 14, 'MISSING_VALUE'],
        [13, 15, 'MISSING_VALUE'],
        [21, 24, 'PARSE_ERROR'],
        [22, 25, 'PARSE_ERROR'],
        [23, 26, 'FEATURE_COUNT'],
        [25, 28, 'PARSE_ERROR'],
      ],
    },
  },
  {
    name: "CSV quoted as R's write.csv writes it (row names, quoted strings with commas, quotes and line breaks, NA)",
    ext: 'csv',
    model: LINEAR,
    args: ['--keep', 'id', '--features', 'a,b,c,d'],
    records: [
      '"","id","a","b","c","d"',
      '"1","Smith, John",5.1,3.5,1.4,0.2',
      '"2","say ""hi""",6,2.9,4.5,1.5',
      '"3","two\nlines",0.1,-3.14159265358979,1e-05,100',
      '"4","NA",1,2,3,4',
      '"5","missing",1,NA,3,4',
      '"6","""quoted"" start, and\nend ""quoted""",1,2,3,4',
      '"7","",7,8,9,10',
      '"8","a,b,c,d,e",123456789.123,-0.000001,2,3',
      '"9","tab\there",1,2,3,4',
      '"10","three\nline\nid",1,2,3,"oops"',
      '"11","last",1.5,2.5,3.5,4.5',
    ],
    eols: ['LF', 'CRLF', 'CR'],
    finalEol: true,
    pairs: true,
    deep: true,
    expected: { code: 3, read: 11, failures: [[5, 7, 'MISSING_VALUE'], [10, 13, 'INVALID_VALUE']] },
  },
  {
    name: "CSV quoted as Python's csv.QUOTE_NONNUMERIC writes it (quoted header and strings, None as \"\")",
    ext: 'csv',
    model: model('linear_classifier.onnx'),
    args: ['--keep', 'id,name'],
    records: [
      '"id","name","a","b","c","d"',
      '1,"Ann",5.1,3.5,1.4,0.2',
      '2,"Bob, Jr.",6.0,2.9,4.5,1.5',
      '3,"say ""hi""",5,2,7,3',
      '4,"multi\nline\nname",0.30000000000000004,1e-05,2.5,-1.0',
      '5,"none","",1,2,3',
      '6,"quoted number","2.5",1,2,3',
      '7,"",0,0,0,0',
      '8,"comma, ""and"" quote\nand a line",1,2,3,4',
      '9,"x",1,2,3',
      '10,"y",1,2,3,4,5',
      '11,"z",1,2,3,4',
    ],
    eols: ['LF', 'CRLF', 'CR'],
    finalEol: true,
    expected: { code: 3, read: 11, failures: [[5, 8, 'MISSING_VALUE'], [9, 13, 'FEATURE_COUNT'], [10, 14, 'FEATURE_COUNT']] },
  },
  {
    name: 'TSV with empty and non-numeric fields, no line end after the last record',
    ext: 'tsv',
    model: model('linear_classifier.onnx'),
    args: ['--keep', 'id'],
    // From standard input with tiny reads, the first read ends before the first tab: the format is told from the
    // whole first line.
    records: ['id\ta\tb\tc\td', ...range(1, 8).map((i) => plainRow(i, '\t')), 'r9\t1\t\t3\t4', 'r10\t1\tx\t3\t4', 'r11\t1\t2\t3', ...range(12, 16).map((i) => plainRow(i, '\t'))],
    eols: ['LF', 'CRLF', 'CR'],
    finalEol: false,
    expected: { code: 3, read: 16, failures: [[9, 10, 'MISSING_VALUE'], [10, 11, 'INVALID_VALUE'], [11, 12, 'FEATURE_COUNT']] },
  },
  {
    name: "JSONL with good and bad lines (compact, Python's json.dumps spacing, invalid JSON, missing keys, strings)",
    ext: 'jsonl',
    model: LINEAR,
    args: ['--keep', 'id'],
    records: [
      '{"id":1,"a":0.5,"b":-2,"c":1e-3,"d":4}',
      '{"id": 2, "a": 0.5, "b": -2, "c": 0.001, "d": 4}',
      '{"id":"three","a":1,"b":2,"c":3,"d":4}',
      '{"id":4,"a":"x","b":2,"c":3,"d":4}',
      '{"id":5,"a":1,"b":2,"c":3}',
      '{"id":6,"a":1,"b":2,"c":3,"d":null}',
      '{"id":7,"a":1,"b":2,"c":3,"d":4',
      '',
      '[1,2,3,4]',
      '{"d":4,"c":3,"b":2,"a":1,"id":"out of order"}',
      '{"id":"say \\"hi\\"\\n","a":1,"b":2,"c":3,"d":4,"e":5}',
      '{"id":12,"a":{"x":1},"b":2,"c":3,"d":4}',
      '{"id":"é日本","a":1,"b":2,"c":3,"d":4}',
      '{"id":14,"a":1,"b":2,"c":3,"d":4}',
    ],
    eols: ['LF', 'CRLF'],
    finalEol: true,
    pairs: true,
    expected: {
      code: 3,
      read: 13,
      failures: [
        [4, 4, 'INVALID_VALUE'],
        [5, 5, 'MISSING_VALUE'],
        [6, 6, 'MISSING_VALUE'],
        [7, 7, 'PARSE_ERROR'],
        [8, 9, 'FEATURE_COUNT'],
        [11, 12, 'INVALID_VALUE'],
      ],
    },
  },
  {
    name: 'CSV with records over --max-record-bytes (a long line, a long quoted record cut inside, a long quoted one cut at its end)',
    ext: 'csv',
    model: LINEAR,
    args: ['--keep', 'id', '--max-record-bytes', '80'],
    records: [
      'id,a,b,c,d',
      plainRow(1),
      `${'x'.repeat(120)},1,2,3,4`,
      plainRow(3),
      `"${'long '.repeat(20)}\nstill the id",1,2,3,4`,
      plainRow(5),
      `"short\n${'y'.repeat(100)}",1,2,3,4`,
      plainRow(7),
    ],
    eols: ['LF', 'CRLF', 'CR'],
    finalEol: true,
    expected: { code: 3, read: 8, failures: [[2, 3, 'RECORD_TOO_LARGE'], [4, 5, 'RECORD_TOO_LARGE'], [5, 6, 'PARSE_ERROR'], [7, 8, 'RECORD_TOO_LARGE']] },
  },
];

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/** The input's bytes under a setting's line end and compression. */
function bytesOf(input: Input, s: Setting): Buffer {
  const text = (input.bom ? '\uFEFF' : '') + input.records.join(EOL[s.eol]) + (input.finalEol ? EOL[s.eol] : '');
  return s.gzip ? gzipSync(text) : Buffer.from(text);
}

const describe = (s: Setting): string =>
  `--workers ${s.workers} --batch-size ${s.batch}, ${s.tiny ? 'tiny' : 'normal'} blocks, ${s.eol}, ${s.gzip ? 'gzip' : 'plain'}, ${s.stdin ? 'stdin' : 'file'}`;

/** Every combination of the given values. */
function product(levels: { [K in keyof Setting]: Setting[K][] }): Setting[] {
  let all: Partial<Setting>[] = [{}];
  for (const [key, values] of Object.entries(levels)) all = all.flatMap((s) => values.map((v) => ({ ...s, [key]: v })));
  return all as Setting[];
}

/**
 * Settings covering every pair of values of any two settings (greedy: each pick covers the most pairs not yet
 * covered), some 10 runs instead of the product's 216.
 */
function allPairs(levels: { [K in keyof Setting]: Setting[K][] }): Setting[] {
  const keys = Object.keys(levels) as (keyof Setting)[];
  const pairsOf = (s: Setting): string[] =>
    keys.flatMap((k, i) => keys.slice(i + 1).map((j) => `${k}=${String(s[k])},${j}=${String(s[j])}`));
  const all = product(levels);
  const uncovered = new Set(all.flatMap(pairsOf));
  const chosen: Setting[] = [];
  while (uncovered.size > 0) {
    const gain = (s: Setting): number => pairsOf(s).filter((p) => uncovered.has(p)).length;
    const best = all.reduce((a, b) => (gain(b) > gain(a) ? b : a));
    chosen.push(best);
    for (const p of pairsOf(best)) uncovered.delete(p);
  }
  return chosen;
}

/**
 * A few settings that still use every value of each setting once or more, tiny sizes in most (for the inputs not
 * marked `pairs`).
 */
function quickSettings(eols: Eol[]): Setting[] {
  const [first, second = first] = eols;
  const last = eols[eols.length - 1];
  return [
    { workers: 2, batch: 1, tiny: true, eol: second, gzip: true, stdin: true },
    { workers: 1, batch: 3, tiny: true, eol: last, gzip: false, stdin: false },
    { workers: 0, batch: 3, tiny: true, eol: first, gzip: true, stdin: false },
    { workers: 2, batch: 1024, tiny: false, eol: second, gzip: false, stdin: true },
  ];
}

function settingsFor(input: Input): Setting[] {
  const levels = { workers: [0, 1, 2], batch: [1, 3, 1024], tiny: [false, true], eol: input.eols, gzip: [false, true], stdin: [false, true] };
  const settings = input.pairs ? allPairs(levels) : quickSettings(input.eols);
  if (input.deep) {
    // Every workers × batch size × blocks, each with another line end, compression and source.
    const engine = product({ ...levels, eol: [input.eols[0]], gzip: [false], stdin: [false] });
    settings.push(...engine.map((s, i) => ({ ...s, eol: input.eols[i % input.eols.length], gzip: i % 4 >= 2, stdin: i % 8 >= 4 })));
  }
  const seen = new Set([JSON.stringify(REFERENCE)]);
  return settings.filter((s) => !seen.has(JSON.stringify(s)) && seen.add(JSON.stringify(s)));
}

interface Outcome {
  code: number | null;
  output: string;
  /** The sidecar, each line's source name replaced by `<source>` (a file's name, or `-` for standard input). */
  sidecar: string;
  stderr: string;
}

async function runOnce(input: Input, s: Setting, k: number): Promise<Outcome> {
  const name = `in${k}.${input.ext}${s.gzip ? '.gz' : ''}`;
  const bytes = bytesOf(input, s);
  const files = s.stdin ? {} : { [name]: bytes };
  const cwd = workdir(files);
  const args = [...(s.stdin ? (input.stdinArgs ?? []) : [name]), '-m', input.model, ...input.args, '-o', `out.${input.ext}`, '--errors', 'errors.jsonl'];
  args.push('--workers', String(s.workers), '--batch-size', String(s.batch));
  const r = await runCli(args, { cwd, stdin: s.stdin ? bytes : undefined, env: s.tiny ? TINY : {} });
  const source = JSON.stringify(s.stdin ? '-' : name);
  const sidecar = exists(cwd, 'errors.jsonl') ? read(cwd, 'errors.jsonl') : '<absent>';
  // Byte offsets differ with the line ends: each must point at its record in this run's bytes; then they are
  // left out of the comparison.
  const misplaced = misplacedOffsets(s.gzip ? gunzipSync(bytes) : bytes, sidecar);
  return {
    code: r.code,
    output: exists(cwd, `out.${input.ext}`) ? read(cwd, `out.${input.ext}`) : '<absent>',
    sidecar: misplaced + sidecar.replaceAll(`{"source":${source},`, '{"source":"<source>",').replace(/"offset":\d+,/g, ''),
    stderr: r.stderr,
  };
}

/** Sidecar entries whose offset does not point at their record's first line in `input`, as text ('' when none). */
function misplacedOffsets(input: Buffer, sidecar: string): string {
  if (sidecar === '<absent>') return '';
  const wrong = sidecar
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as { offset: number; record: string })
    .filter((e) => {
      const first = Buffer.from(e.record.split(/[\r\n]/)[0].slice(0, 30));
      return !input.subarray(e.offset, e.offset + first.length).equals(first);
    });
  return wrong.map((e) => `offset ${e.offset} is not where ${JSON.stringify(e.record)} starts\n`).join('');
}

/** Runs `fn` over `items`, at most `limit` at a time. */
async function mapLimited<T, R>(items: T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) results[i] = await fn(items[i], i);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}

/** Where two texts first differ: the line in each. */
function firstDifference(a: string, b: string): string {
  const la = a.split('\n');
  const lb = b.split('\n');
  const i = la.findIndex((l, n) => l !== lb[n]);
  const at = i < 0 ? la.length : i;
  return `line ${at + 1}: ${JSON.stringify(la[at])} vs ${JSON.stringify(lb[at])}`;
}

for (const input of INPUTS) {
  test(`every path gives the same bytes: ${input.name}`, async (t) => {
    const started = Date.now();
    const reference = await runOnce(input, REFERENCE, 0);
    assert.equal(reference.code, input.expected.code, reference.stderr);
    assert.match(reference.stderr, new RegExp(`\\b${input.expected.read} read\\b`), reference.stderr);
    const failures = (reference.sidecar === '<absent>' ? '' : reference.sidecar)
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as { row: number; line: number; code: string })
      .map((e) => [e.row, e.line, e.code]);
    assert.deepEqual(failures, input.expected.failures);

    const settings = settingsFor(input);
    const differences: string[] = [];
    await mapLimited(settings, availableParallelism(), async (s, i) => {
      const got = await runOnce(input, s, i + 1);
      const where = describe(s);
      if (got.code !== reference.code) differences.push(`${where}: exit ${got.code} vs ${reference.code}: ${got.stderr.trim()}`);
      if (got.output !== reference.output) differences.push(`${where}: output ${firstDifference(reference.output, got.output)}`);
      if (got.sidecar !== reference.sidecar) differences.push(`${where}: sidecar ${firstDifference(reference.sidecar, got.sidecar)}`);
    });
    t.diagnostic(`${settings.length + 1} runs in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    assert.deepEqual(differences, [], `settings that differ from the reference (${describe(REFERENCE)}):\n${differences.join('\n')}`);
  });
}

test('the testing sizes come from the environment; anything but a positive whole number leaves the normal size', () => {
  const name = 'BATCH_SCORE_TEST_SIZE_CHECK';
  const cases: Array<[string | undefined, number]> = [[undefined, 7], ['', 7], ['24', 24], ['0', 7], ['-3', 7], ['2.5', 7], ['abc', 7], ['1e3', 1000]];
  for (const [value, expected] of cases) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
    assert.equal(sizeFromEnv(name, 7), expected, `${name}=${value}`);
  }
  delete process.env[name];
});
