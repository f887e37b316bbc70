// One in-process measurement, run in its own node process by run.mjs so every
// candidate starts cold from the same state (no JIT or heap left over from the
// previous one) and gets its own peak RSS.
//
//   node bench/probe.mjs <probe> <records.csv> [model.onnx]
//
// Prints one JSON line: { seconds, rows, checksum }. `seconds` covers reading
// the file and the work, not node's start-up or module loading. `checksum` (the
// sum of every parsed feature) lets run.mjs confirm the parsers agree.

import { createReadStream, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parse as parseSync } from 'csv-parse/sync';
import { parse as parseStream } from 'csv-parse';
import ort from 'onnxruntime-node';
import { N_FEATURES, randomFeatures } from './data.mjs';

/** Sum of the 13 feature fields (1..13) of one record given as strings. */
function featureSum(fields) {
  let sum = 0;
  for (let i = 1; i <= N_FEATURES; i++) sum += Number(fields[i]);
  return sum;
}

/** Sums features over data rows (all but the header), returning { rows, checksum }. */
function sumRecords(records) {
  let checksum = 0;
  for (let r = 1; r < records.length; r++) checksum += featureSum(records[r]);
  return { rows: records.length - 1, checksum };
}

const PROBES = {
  /** The floor for any line-based reader: read the text and split it into lines. */
  'line-split': (csv) => {
    const lines = readFileSync(csv, 'utf8').split('\n');
    return { rows: lines.length - 2, checksum: null }; // minus header and the empty piece after the last \n
  },

  /** The naive parser (no quoting support): split lines, split fields, Number(). */
  'split-loop': (csv) => {
    const lines = readFileSync(csv, 'utf8').split('\n');
    let checksum = 0;
    let rows = 0;
    for (let i = 1; i < lines.length; i++) {
      if (lines[i] === '') continue;
      checksum += featureSum(lines[i].split(','));
      rows++;
    }
    return { rows, checksum };
  },

  'csv-parse-sync': (csv) => sumRecords(parseSync(readFileSync(csv, 'utf8'))),

  'csv-parse-stream': async (csv) => {
    let checksum = 0;
    let rows = -1; // the header comes through as a record too
    for await (const record of createReadStream(csv).pipe(parseStream())) {
      if (rows >= 0) checksum += featureSum(record);
      rows++;
    }
    return { rows, checksum };
  },

  papaparse: async (csv) => {
    const { default: Papa } = await import('papaparse');
    return sumRecords(Papa.parse(readFileSync(csv, 'utf8'), { skipEmptyLines: true }).data);
  },

  /**
   * The model alone: session.run over 4096-row Float32Array chunks with one
   * intra-op thread (batch-score's session settings). Features are random, not
   * parsed: this row is the model's share of the work, nothing else.
   */
  'model-only': async (csv, model, rows) => {
    const session = await ort.InferenceSession.create(model, {
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
    const x = randomFeatures(rows);
    const CHUNK = 4096;
    const start = performance.now();
    let checksum = 0;
    for (let r = 0; r < rows; r += CHUNK) {
      const n = Math.min(CHUNK, rows - r);
      const input = new ort.Tensor('float32', x.subarray(r * N_FEATURES, (r + n) * N_FEATURES), [n, N_FEATURES]);
      const { output } = await session.run({ input });
      for (const v of output.data) checksum += v;
    }
    return { seconds: (performance.now() - start) / 1000, rows, checksum };
  },
};

async function main() {
  const [name, csv, model, rows] = process.argv.slice(2);
  const probe = PROBES[name];
  if (!probe) throw new Error(`unknown probe ${name}; one of ${Object.keys(PROBES).join(', ')}`);
  const start = performance.now();
  const result = await probe(csv, model, Number(rows));
  const seconds = result.seconds ?? (performance.now() - start) / 1000;
  process.stdout.write(`${JSON.stringify({ ...result, seconds })}\n`);
}

await main();
