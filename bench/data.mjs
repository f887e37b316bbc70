// Seeded bench inputs: the same R records in several shapes (see SHAPES), written into
// bench/data/. Files are named by row count and reused when already present
// (generation of the 1M-row pair takes a few seconds and never changes).

import { createWriteStream, existsSync, renameSync } from 'node:fs';
import { once } from 'node:events';

export const N_FEATURES = 13;
export const FEATURES = Array.from({ length: N_FEATURES }, (_, i) => `f${i}`);
const DATA_SEED = 20240501;

/** mulberry32: tiny, fast, good enough for bench data; returns floats in [0, 1). */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * One feature as text. Mostly fixed-point like `0.123456`, sometimes a small
 * exponent like `-1.50e-3`, so number parsers meet both spellings real exports have.
 */
function featureText(rand) {
  if (rand() < 0.9) return (rand() * 4 - 2).toFixed(6);
  return ((rand() * 2 - 1) * 1e-2).toExponential(2);
}

/** A uniform double in [0, 1) with all 53 bits random (prng() alone gives 32). */
function rand53(rand) {
  return (Math.floor(rand() * 2 ** 21) * 2 ** 32 + Math.floor(rand() * 2 ** 32)) / 2 ** 53;
}

/**
 * C's `%.17g`, as Python's `'%.17g' % x`, numpy's savetxt and Spark's full-precision writers print doubles:
 * 17 significant digits, trailing zeros dropped, an exponent (two digits at least) below 1e-4 or from 1e17.
 */
export function printf17g(x) {
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const [mantissa, expText] = x.toExponential(16).split('e');
  const exp = Number(expText);
  const strip = (t) => (t.includes('.') ? t.replace(/0+$/, '').replace(/\.$/, '') : t);
  if (exp < -4 || exp >= 17) return `${strip(mantissa)}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return strip(x.toFixed(16 - exp));
}

/** The same distribution as featureText, as doubles with every bit random, printed at full precision. */
function fullPrecisionText(rand) {
  if (rand() < 0.9) return printf17g(rand53(rand) * 4 - 2);
  return printf17g((rand53(rand) * 2 - 1) * 1e-2);
}

const header = (quote) => ['id', ...FEATURES].map(quote).join(',');
const plainLine = (id, tokens, eol) => `${id},${tokens.join(',')}${eol}`;

/**
 * The data shapes: each one file of R records, named records-<R>.<name>. Every shape but `full` has the very same
 * feature tokens (and ids) as `csv`; `full` the same distribution at full precision.
 * - csv: the bench's own CSV, nothing quoted, 6-decimal floats, LF;
 * - jsonl: the same records as compact JSON lines;
 * - r.csv: as R's write.csv(row.names = FALSE) writes a data frame with a character id: header and ids quoted,
 *   numbers bare;
 * - full.csv: doubles printed with `%.17g` (Python, numpy, Spark at full precision);
 * - crlf.csv: the plain CSV with CRLF line ends (Windows tools, Excel exports).
 */
export const SHAPES = {
  csv: { head: `${header((c) => c)}\n`, line: (id, rand) => plainLine(id, recordTokens(rand), '\n') },
  jsonl: { head: '', line: (id, rand) => `{"id":${id},${recordTokens(rand).map((t, i) => `"f${i}":${t}`).join(',')}}\n` },
  'r.csv': { head: `${header((c) => `"${c}"`)}\n`, line: (id, rand) => plainLine(`"${id}"`, recordTokens(rand), '\n') },
  'full.csv': { head: `${header((c) => c)}\n`, line: (id, rand) => plainLine(id, recordTokens(rand, fullPrecisionText), '\n') },
  'crlf.csv': { head: `${header((c) => c)}\r\n`, line: (id, rand) => plainLine(id, recordTokens(rand), '\r\n') },
};

/** The feature tokens of one record. */
function recordTokens(rand, text = featureText) {
  const tokens = new Array(N_FEATURES);
  for (let i = 0; i < N_FEATURES; i++) tokens[i] = text(rand);
  return tokens;
}

/** Writes one shape's file, through a .tmp name so an interrupted run never leaves a short file behind. */
async function writeShape(rows, shape, path) {
  const out = createWriteStream(`${path}.tmp`);
  const { head, line } = SHAPES[shape];
  out.write(head);
  const rand = prng(DATA_SEED);
  const BLOCK = 10_000; // lines per write: few syscalls, bounded memory
  for (let start = 1; start <= rows; start += BLOCK) {
    let text = '';
    for (let id = start; id < Math.min(start + BLOCK, rows + 1); id++) text += line(id, rand);
    if (!out.write(text)) await once(out, 'drain');
  }
  await new Promise((resolve, reject) => out.end((err) => (err ? reject(err) : resolve())));
  renameSync(`${path}.tmp`, path);
}

/** { csv, jsonl, … } paths of an R-row data set in `dir` for the shapes asked for, each generated on first use. */
export async function ensureRecords(dir, rows, shapes = ['csv', 'jsonl']) {
  const paths = {};
  for (const shape of shapes) {
    const path = `${dir}/records-${rows}.${shape}`;
    if (!existsSync(path)) await writeShape(rows, shape, path);
    paths[shape] = path;
  }
  return paths;
}

/**
 * The same records as Parquet (id INT64, f0…f12 FLOAT, snappy, DuckDB's row groups of 122,880 rows), written by
 * DuckDB (a dev dependency) from the CSV; FLOAT because the model's inputs are float32.
 */
export async function ensureParquet(dir, rows) {
  const { csv } = await ensureRecords(dir, rows);
  const parquet = `${dir}/records-${rows}.parquet`;
  if (existsSync(parquet)) return parquet;
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const db = await (await DuckDBInstance.create(':memory:')).connect();
  const columns = ['id::BIGINT AS id', ...FEATURES.map((f) => `${f}::FLOAT AS ${f}`)].join(', ');
  await db.run(`COPY (SELECT ${columns} FROM read_csv('${csv}', header = true, all_varchar = true)) TO '${parquet}.tmp' (FORMAT parquet)`);
  renameSync(`${parquet}.tmp`, parquet);
  return parquet;
}

/** Random feature matrix (row-major, R×13) for the model-only probe, which must not pay for parsing. */
export function randomFeatures(rows) {
  const rand = prng(DATA_SEED);
  const x = new Float32Array(rows * N_FEATURES);
  for (let i = 0; i < x.length; i++) x[i] = rand() * 4 - 2;
  return x;
}
