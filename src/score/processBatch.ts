/**
 * One batch of records (see input/blocks.ts) in → output rows + record errors out: the fast reader fills what it
 * can, the exact general reader parses and checks the rest, the valid records are scored, and each record gets one
 * output row, in input order. It knows nothing of streams or threads: a run, inspect and serve all score with it.
 */
import type { RecordError } from '../errors.js';
import type { OnError } from '../options.js';
import type { FeaturePlan } from '../model/featurePlan.js';
import type { FeedData, ModelSession } from '../model/session.js';
import type { OutputRow } from '../output/formatters.js';
import type { ParsedRecord } from '../input/csvRecords.js';
import type { SidecarEntry } from '../output/sidecar.js';
import type { FastFill } from '../input/csvFastFill.js';
import type { BlockFill } from '../input/csvBlockFill.js';
import { allocate, type CellWriter } from './cells.js';
import type { RawRecord } from '../input/recordRules.js';
import type { RecordBounds } from '../input/recordBounds.js';
import type { RecordBatch } from '../input/blocks.js';
import { scoreRows, type ScoreSettings } from './scorer.js';
import type { MonitorPartial, MonitorSetup } from '../monitor/runMonitor.js';
import type { UnitMonitor } from '../monitor/unitMonitor.js';
import { challengerRows, type Challenger, type ChallengerRows } from './challenger.js';

export type { RecordBatch };

export interface BatchResult {
  /** One row per input record (failed ones without values), in input order; failed ones left out with --on-error skip. */
  rows: OutputRow[];
  errors: SidecarEntry[];
  /** Records written with a prediction. */
  scored: number;
  /** Records read (one row each, except failed ones with --on-error skip). */
  records: number;
  /** 0-based index in the batch and message of each failed record (for the JSON document's `errors`). */
  failed: Array<[number, string]>;
  /** Per-record shape of each output as the runtime returned it (null when nothing was scored). */
  recordShapes: number[][] | null;
  calls: number;
  /** The batch's partial profile (and challenger agreement), when the run monitors and the batch is a unit of its own. */
  monitor?: MonitorPartial;
}


export interface ScoringContext {
  parse(records: RawRecord[]): ParsedRecord[];
  /** The CSV hot path, when the plan allows it (see csvFastFill.ts). */
  fastFill: FastFill | null;
  /** The same on bytes, for blocks (see csvBlockFill.ts). */
  blockFill: BlockFill | null;
  /** Where records end in a block (a new scan for each block). */
  recordBounds(): RecordBounds;
  /** CSV: a lone CR inside a quoted field counts as a line (see LoneCrs). */
  crLines: boolean;
  /** Records per model batch within a block (--batch-size). */
  batchSize: number;
  /** --max-record-bytes, which blocks check as the record splitter does. */
  maxRecordLength: number;
  plan: FeaturePlan;
  writers: CellWriter[]; // one per feed
  session: ModelSession;
  score: ScoreSettings;
  onError: OnError;
  /** The cells readable from the start of a record that cannot be parsed (its --keep values, when they come first). */
  leadingCells(text: string): unknown[];
  /** Profiling, --ood and agreement (null: the run does not monitor). */
  monitor: MonitorSetup | null;
  challenger: Challenger | null;
}

/**
 * Records already in memory as a batch (a JSON document's, a request's): the text hot path reads those it can,
 * the general reader the rest.
 */
export function recordsBatch(source: string, records: RawRecord[], ctx: ScoringContext): RecordBatch {
  const fast = ctx.fastFill;
  return {
    source,
    count: records.length,
    fastFill: (i, slot, data) => (fast && records[i].tooLarge === undefined && records[i].value === undefined ? fast(records[i].text, slot, data) : null),
    record: (i) => records[i],
  };
}

/**
 * A unit of work's monitor, when the run monitors. The monitor's modules are loaded by the first unit that needs
 * them, in each thread: a run that does not monitor never loads them.
 */
export async function unitMonitorFor(ctx: ScoringContext): Promise<UnitMonitor | undefined> {
  if (!ctx.monitor) return undefined;
  unitMonitorClass ??= (await import('../monitor/unitMonitor.js')).UnitMonitor;
  return new unitMonitorClass(ctx.monitor);
}

/** Kept once loaded: a unit is a block, so the lookup would otherwise be repeated hundreds of times per run. */
let unitMonitorClass: typeof UnitMonitor | null = null;

/** Scores one batch; `unit` collects the monitoring of the unit of work the batch belongs to. */
export async function processBatch(batch: RecordBatch, ctx: ScoringContext, unit?: UnitMonitor): Promise<BatchResult> {
  const { plan } = ctx;
  const n = batch.count;
  const data: FeedData[] = plan.feeds.map((f) => allocate(f.type, n * f.width));
  const errors: (RecordError | undefined)[] = new Array(n);
  const keeps: unknown[][] = new Array(n);
  const slotOf = new Int32Array(n).fill(-1); // each valid record's row in the feeds
  const recordOf: number[] = []; // and back
  const take = (i: number): void => {
    slotOf[i] = recordOf.length;
    recordOf.push(i);
  };

  // The fast path first; the records it declines are parsed and checked by the general path.
  const slow: number[] = [];
  for (let i = 0; i < n; i++) {
    const keep = batch.fastFill(i, recordOf.length, data);
    if (keep) {
      keeps[i] = keep;
      take(i);
    } else {
      slow.push(i);
    }
  }
  // A block decodes a record's text on request: each is asked for once (for parsing, then for the sidecar).
  const raws: (RawRecord | undefined)[] = new Array(n);
  const raw = (i: number): RawRecord => (raws[i] ??= batch.record(i));
  // Only when there are any: on the hot path (no record declined) the empty arrays of the general path made V8
  // deoptimise this function over and over (their maps differ from the non-empty ones'; up to hundreds of times
  // a run, seen with --trace-deopt).
  if (slow.length > 0) {
    const parsed = parseRecords(slow.map(raw), ctx);
    slow.forEach((i, k) => {
      const rec = parsed[k];
      const cells = rec.cells ?? leadingCells(rec, raw(i), ctx);
      keeps[i] = plan.keep.map((c) => cells?.[c]);
      const err = rec.error ?? fillRow(rec.cells, recordOf.length, ctx, data);
      if (err) errors[i] = err;
      else take(i);
    });
  }

  const valid = recordOf.length;
  const fed = data.map((d, k) => trim(d, valid * plan.feeds[k].width));
  const scored = await scoreRows(ctx.session, plan.feeds, fed, valid, ctx.score);
  for (const [slot, message] of scored.failed) errors[recordOf[slot]] = { code: 'MODEL_ERROR', message };
  const pieceOf = new Int32Array(valid);
  scored.pieces.forEach((p, k) => pieceOf.fill(k, p.start, p.end));
  unit?.addBatch(fed, valid, scored.failed, scored.pieces, scored.pieces[0]?.outputs.length ?? 0);
  const second = ctx.challenger ? await scoreChallenger(ctx.challenger, fed, valid) : null;
  const both = second && scored.pieces.map((p, k) => [...p.outputs, ...second.outputs(k, p.start)]);

  const result: BatchResult = { rows: [], errors: [], scored: 0, records: n, failed: [], recordShapes: null, calls: scored.calls };
  const { rows, errors: sidecar, failed } = result;
  for (let i = 0; i < n; i++) {
    const keep = keeps[i];
    const error = errors[i];
    if (error) {
      const rec = raw(i);
      sidecar.push({ source: batch.source, row: rec.row, line: rec.line, offset: rec.offset ?? null, code: error.code, message: error.message, record: rec.text });
      failed.push([i, error.message]);
      if (ctx.onError === 'null') rows.push({ keep, scored: null, at: 0 });
      continue;
    }
    const p = scored.pieces[pieceOf[slotOf[i]]];
    const row = { keep, scored: p.outputs as OutputRow['scored'], at: slotOf[i] - p.start };
    if (second) {
      unit?.compare(row, second.row(slotOf[i]));
      row.scored = both![pieceOf[slotOf[i]]];
    }
    if (unit?.setup.ood) row.keep = [...keep, unit.outOfRange(fed, slotOf[i])];
    rows.push(row);
    result.scored++;
  }
  if (unit?.setup.ood) for (const row of rows) if (!row.scored) row.keep = [...row.keep, undefined];
  if (scored.pieces.length) {
    const shapes = scored.pieces[0].outputs.map((o) => o.recordShape);
    // Not spread into one literal with an empty array: that too deoptimised this function again and again.
    result.recordShapes = second ? shapes.concat(second.recordShapes) : shapes;
  }
  return result;
}

/** Fills record `slot`'s features from its cells (the general path); the first value that does not fit is its error. */
function fillRow(cells: unknown[] | undefined, slot: number, ctx: ScoringContext, data: FeedData[]): RecordError | undefined {
  if (!cells) return undefined; // unreachable: a record without cells has an error
  const { plan } = ctx;
  for (let k = 0; k < plan.feeds.length; k++) {
    const feed = plan.feeds[k];
    const base = slot * feed.width;
    if (feed.fromArray) {
      const err = fillArray(cells[feed.columns[0]], plan.columns[feed.columns[0]], k, base, ctx, data);
      if (err) return err;
      continue;
    }
    for (let j = 0; j < feed.width; j++) {
      const col = feed.columns[j];
      const err = ctx.writers[k](cells[col], plan.columns[col], data[k], base + j);
      if (err) return err;
    }
  }
  return undefined;
}

/** An `[N,K]` input fed by name from one field that holds an array of K values. */
function fillArray(value: unknown, column: string, k: number, base: number, ctx: ScoringContext, data: FeedData[]): RecordError | undefined {
  const width = ctx.plan.feeds[k].width;
  if (!Array.isArray(value)) {
    if (value === undefined || value === null) return { code: 'MISSING_VALUE', message: `missing value: column ${JSON.stringify(column)} is ${value === null ? 'null' : 'absent'}` };
    return { code: 'INVALID_VALUE', message: `column ${JSON.stringify(column)}: expected an array of ${width} values` };
  }
  if (value.length !== width) return { code: 'FEATURE_COUNT', message: `column ${JSON.stringify(column)}: expected ${width} values, found ${value.length}` };
  for (let j = 0; j < width; j++) {
    const err = ctx.writers[k](value[j], `${column}[${j}]`, data[k], base + j);
    if (err) return err;
  }
  return undefined;
}

/**
 * A record that cannot be parsed (PARSE_ERROR) or was cut off (RECORD_TOO_LARGE) keeps the --keep cells that can
 * be read from its start, so its output row still carries its id. Records taken out of a JSON document were parsed
 * as a whole already: nothing more is known of them.
 */
function leadingCells(rec: ParsedRecord, raw: RawRecord, ctx: ScoringContext): unknown[] | undefined {
  if (ctx.plan.keep.length === 0 || raw.invalid !== undefined || 'value' in raw) return undefined;
  const code = rec.error?.code;
  return code === 'PARSE_ERROR' || code === 'RECORD_TOO_LARGE' ? ctx.leadingCells(raw.text) : undefined;
}

/** Parses the batch's records, except those cut off for being too large, which fail as they are. */
function parseRecords(records: RawRecord[], ctx: ScoringContext): ParsedRecord[] {
  if (!records.some((r) => r.tooLarge !== undefined)) return ctx.parse(records);
  const fine = ctx.parse(records.filter((r) => r.tooLarge === undefined));
  let next = 0;
  return records.map((r) =>
    r.tooLarge !== undefined
      ? { error: { code: 'RECORD_TOO_LARGE', message: `the record is longer than --max-record-bytes ${r.tooLarge}; only its beginning is shown` } }
      : fine[next++],
  );
}

/** The challenger's predictions of the records the main model scored (the same feeds, its own plan and session). */
async function scoreChallenger(c: Challenger, fed: FeedData[], valid: number): Promise<ChallengerRows> {
  return challengerRows(await scoreRows(c.session, c.feeds, fed, valid, c.score), valid, c.recordShapes);
}

function trim(data: FeedData, length: number): FeedData {
  return Array.isArray(data) ? data.slice(0, length) : (data.subarray(0, length) as FeedData);
}
