// Seeded bench inputs: the same R records as CSV and as JSONL, written into
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

/** The feature tokens of one record; CSV and JSONL use the very same tokens. */
function recordTokens(rand) {
  const tokens = new Array(N_FEATURES);
  for (let i = 0; i < N_FEATURES; i++) tokens[i] = featureText(rand);
  return tokens;
}

const csvLine = (id, tokens) => `${id},${tokens.join(',')}\n`;
const jsonlLine = (id, tokens) => `{"id":${id},${tokens.map((t, i) => `"f${i}":${t}`).join(',')}}\n`;

/** Writes both files, going through .tmp names so an interrupted run never leaves a short file behind. */
async function writeRecords(rows, csvPath, jsonlPath) {
  const csv = createWriteStream(`${csvPath}.tmp`);
  const jsonl = createWriteStream(`${jsonlPath}.tmp`);
  csv.write(`id,${FEATURES.join(',')}\n`);
  const rand = prng(DATA_SEED);
  const BLOCK = 10_000; // lines per write: few syscalls, bounded memory
  for (let start = 1; start <= rows; start += BLOCK) {
    let csvText = '';
    let jsonlText = '';
    for (let id = start; id < Math.min(start + BLOCK, rows + 1); id++) {
      const tokens = recordTokens(rand);
      csvText += csvLine(id, tokens);
      jsonlText += jsonlLine(id, tokens);
    }
    // Listen for both drains at once: awaiting one after the other can miss the second's event.
    await Promise.all([csv.write(csvText) || once(csv, 'drain'), jsonl.write(jsonlText) || once(jsonl, 'drain')]);
  }
  await Promise.all([new Promise((r) => csv.end(r)), new Promise((r) => jsonl.end(r))]);
  renameSync(`${csvPath}.tmp`, csvPath);
  renameSync(`${jsonlPath}.tmp`, jsonlPath);
}

/** { csv, jsonl } paths of an R-row data set in `dir`, generated on first use. */
export async function ensureRecords(dir, rows) {
  const csv = `${dir}/records-${rows}.csv`;
  const jsonl = `${dir}/records-${rows}.jsonl`;
  if (!existsSync(csv) || !existsSync(jsonl)) await writeRecords(rows, csv, jsonl);
  return { csv, jsonl };
}

/** Random feature matrix (row-major, R×13) for the model-only probe, which must not pay for parsing. */
export function randomFeatures(rows) {
  const rand = prng(DATA_SEED);
  const x = new Float32Array(rows * N_FEATURES);
  for (let i = 0; i < x.length; i++) x[i] = rand() * 4 - 2;
  return x;
}
