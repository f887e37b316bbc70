// One in-process measurement, run in its own node process by run.mjs so every
// candidate starts cold from the same state (no JIT or heap left over from the
// previous one) and gets its own peak RSS.
//
//   node bench/probe.mjs <probe> <records.csv> [model.onnx] [rows] [batch-score build dir]
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

// As batch-score runs it: onnxruntime's telemetry off (read when the first session is made), so that a probe
// neither fsyncs its database nor leaves a /tmp/mat-debug-<pid>.log.
process.env.ORT_DISABLE_TELEMETRY ??= '1';
process.env.ORT_TELEMETRY_DISABLED ??= '1';

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

/**
 * batch-score's own per-row work, warm, in one thread: its chunk function (split, parse, check, score, format)
 * over the file cut into the blocks the CLI hands to workers, run twice in one process; the second pass is timed.
 * No start-up, no threads, no reading or writing: what each core has to do per row at best.
 */
PROBES['batch-score-warm'] = async (csv, model, rows, build) => {
  const load = (path) => import(`${build}/dist/src/${path}`);
  const { ModelSession } = await load('model/session.js');
  const { planFeatures } = await load('model/featurePlan.js');
  const { planOutputs } = await load('model/outputPlan.js');
  const { resolveOptions } = await load('commands/resolveOptions.js');
  const { formatSettings, inputFormat } = await load('input/inputFormat.js');
  const { rowFormatter } = await load('output/formatters.js');
  const { makeContext, makeLayout } = await load('score/context.js');
  const { processBlock } = await load('score/processBlock.js');
  const { formatBatch } = await load('score/formatBatch.js');
  const { BLOCK_BYTES } = await load('input/sourceReader.js');
  const session = await ModelSession.load(model, 1, false);
  const options = resolveOptions([csv], { model, keep: 'id', workers: '0' });
  const all = readFileSync(csv);
  const header = all.subarray(0, all.indexOf(10)).toString().split(',');
  const plan = planFeatures(header, session.info, { features: null, keep: ['id'] });
  const outputs = planOutputs(session.info, null);
  const ctx = makeContext(plan, outputs, inputFormat('csv', formatSettings(options)), options, session);
  const layout = makeLayout(['id'], outputs, null, {});
  const formatter = rowFormatter('csv');
  const blocks = [];
  for (let p = all.indexOf(10) + 1; p < all.length; ) {
    const end = all.lastIndexOf(10, Math.min(all.length - 1, p + BLOCK_BYTES)) + 1;
    blocks.push(all.subarray(p, end));
    p = end;
  }
  let start = 0;
  let checksum = 0;
  for (let pass = 0; pass < 2; pass++) {
    start = performance.now();
    checksum = 0;
    for (const b of blocks) {
      const done = await processBlock({ source: csv, bytes: new Uint8Array(b), offset: 0 }, ctx, (r) => formatBatch(r, formatter, layout));
      for (const part of done.batches) checksum += part.rows;
    }
  }
  return { seconds: (performance.now() - start) / 1000, rows, checksum };
};

async function main() {
  const [name, csv, model, rows, build] = process.argv.slice(2);
  const probe = PROBES[name];
  if (!probe) throw new Error(`unknown probe ${name}; one of ${Object.keys(PROBES).join(', ')}`);
  const start = performance.now();
  const result = await probe(csv, model, Number(rows), build);
  const seconds = result.seconds ?? (performance.now() - start) / 1000;
  process.stdout.write(`${JSON.stringify({ ...result, seconds })}\n`);
}

await main();
