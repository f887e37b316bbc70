/**
 * Scores the valid records of a batch in as few model calls as possible.
 * Retry, then isolate: a failing call is retried `retries` times, then the rows are bisected until the records
 * that make the call fail are found; they get MODEL_ERROR with the runtime's own words, the rest are scored.
 * A model with a fixed batch dimension B is called B rows at a time, the last call padded by repeating a row.
 * A call of one row is padded to two (MIN_CALL_ROWS).
 * Every output must have one row per row fed: anything else (a scalar, [2N,…]) is a MODEL run error at the first
 * call, never retried or isolated, since no record's prediction could be told from it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import ort from 'onnxruntime-node';
import { RunError, oneLine } from '../errors.js';
import type { InputFeed } from '../model/featurePlan.js';
import type { FeedData, ModelSession } from '../model/session.js';

export interface ScoredOutput {
  data: ArrayLike<unknown>;
  /** Values per record (product of the per-record shape). */
  size: number;
  /** Dimensions after the batch dimension. */
  recordShape: number[];
}

/** A run of consecutive rows [start, end) scored together (pieces are in no particular order). */
export interface ScoredPiece {
  start: number;
  end: number;
  outputs: ScoredOutput[];
}

export interface ScoreResult {
  pieces: ScoredPiece[];
  /** Row → the runtime's message, for rows isolated as failing. */
  failed: Map<number, string>;
  calls: number;
}

export interface ScoreSettings {
  outputNames: string[];
  fixedBatch: number | null;
  retries: number;
  retryDelayMs: number;
}

/**
 * A call of one row is padded to two. onnxruntime computes a one-row batch with other kernels for some operators
 * (seen: LinearRegressor gives 63.449997 for a row it scores as 63.45 among others, while every batch of two rows
 * or more agrees row by row), and a record's prediction must not depend on which records share its call: blocks
 * end wherever the input's bytes do, so their last batch can have any size.
 */
const MIN_CALL_ROWS = 2;

export async function scoreRows(
  session: ModelSession,
  feeds: InputFeed[],
  data: FeedData[],
  n: number,
  settings: ScoreSettings,
): Promise<ScoreResult> {
  const result: ScoreResult = { pieces: [], failed: new Map(), calls: 0 };
  const call = async (start: number, end: number): Promise<ScoredOutput[]> => {
    result.calls++;
    return runRange(session, feeds, data, start, end, settings);
  };
  const step = settings.fixedBatch ?? Math.max(n, 1);
  for (let start = 0; start < n; start += step) {
    const end = Math.min(n, start + step);
    let lastError: unknown;
    for (let attempt = 0; attempt <= settings.retries; attempt++) {
      if (attempt > 0) await sleep(settings.retryDelayMs);
      try {
        result.pieces.push({ start, end, outputs: await call(start, end) });
        lastError = undefined;
        break;
      } catch (err) {
        if (err instanceof RunError) throw err;
        lastError = err;
      }
    }
    if (lastError !== undefined) await isolate(start, end, lastError, call, result);
  }
  return result;
}

/** Bisects [start, end), which is known to fail, scoring the halves that succeed. */
async function isolate(
  start: number,
  end: number,
  error: unknown,
  call: (s: number, e: number) => Promise<ScoredOutput[]>,
  result: ScoreResult,
): Promise<void> {
  if (end - start === 1) {
    result.failed.set(start, oneLine(error));
    return;
  }
  const mid = start + Math.ceil((end - start) / 2);
  for (const [s, e] of [[start, mid], [mid, end]] as const) {
    try {
      result.pieces.push({ start: s, end: e, outputs: await call(s, e) });
    } catch (err) {
      if (err instanceof RunError) throw err;
      await isolate(s, e, err, call, result);
    }
  }
}

async function runRange(
  session: ModelSession,
  feeds: InputFeed[],
  data: FeedData[],
  start: number,
  end: number,
  settings: ScoreSettings,
): Promise<ScoredOutput[]> {
  const rows = end - start;
  const batch = settings.fixedBatch ?? Math.max(rows, MIN_CALL_ROWS);
  const tensors: Record<string, ort.Tensor> = {};
  feeds.forEach((feed, k) => {
    const slice = rowsOf(data[k], feed.width, start, end, batch);
    tensors[feed.spec.name] = new ort.Tensor(feed.type, slice as never, feed.shapeFor(batch));
  });
  const out = await session.run(tensors, settings.outputNames);
  return settings.outputNames.map((name) => {
    const t = out[name];
    checkRows(name, t.dims, batch);
    const recordShape = t.dims.slice(1).map(Number);
    const size = recordShape.reduce((a, b) => a * b, 1);
    // Padding rows (fixed batch) are dropped here.
    return { data: sliceData(t.data, 0, rows * size), size, recordShape };
  });
}

/**
 * An output's first dimension must be the rows fed. A scalar or a [2N,…] output would otherwise be sliced into
 * predictions that belong to no record and change with --batch-size.
 */
function checkRows(name: string, dims: readonly number[], rows: number): void {
  if (dims.length > 0 && dims[0] === rows) return;
  const got = dims.length === 0 ? 'a scalar' : `shape [${dims.join(',')}]`;
  throw new RunError(
    'MODEL',
    `model output ${JSON.stringify(name)} is not one row per record: fed ${rows} rows, it returned ${got}; batch-score needs every output's first dimension to be the batch`,
  );
}

/** Rows [start, end) of a feed, padded to `batch` rows by repeating the last row. */
function rowsOf(data: FeedData, width: number, start: number, end: number, batch: number): FeedData {
  const slice = sliceData(data, start * width, end * width) as FeedData;
  const missing = batch - (end - start);
  if (missing <= 0) return slice;
  const last = sliceData(data, (end - 1) * width, end * width) as FeedData;
  if (Array.isArray(slice)) return [...slice, ...Array.from({ length: missing }, () => last as string[]).flat()];
  const padded = new (slice.constructor as new (n: number) => Exclude<FeedData, string[]>)(batch * width);
  padded.set(slice as never);
  for (let r = end - start; r < batch; r++) padded.set(last as never, r * width);
  return padded;
}

function sliceData(data: unknown, start: number, end: number): ArrayLike<unknown> {
  if (Array.isArray(data)) return data.slice(start, end);
  return (data as Float32Array).subarray(start, end);
}
