/**
 * A Parquet input in a run: opened from its file, or from standard input spooled to a temporary file first (the
 * footer that says where everything is sits at the end), which is removed when the input is done.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { RunError, oneLine } from '../errors.js';
import { openParquet, type ColumnBatch, type ParquetFile } from './parquetInput.js';
import { scoreColumnar } from './parquetColumnar.js';
import { formatEncoded, type FormattedBlock, type FormattedChunk } from '../score/formatChunk.js';
import type { GroupBuilder } from '../output/formatters.js';
import type { OpenedInput } from './inputCheck.js';
import { processBatch, type ChunkContext, type ChunkResult, type RecordBatch } from '../score/processChunk.js';
import { UnitMonitor } from '../monitor/unitMonitor.js';

export interface OpenedParquet extends ParquetFile {
  /** Closes the file and removes the spooled copy of standard input, if any. */
  close(): Promise<void>;
}

export async function openParquetInput(input: OpenedInput): Promise<OpenedParquet> {
  const name = input.source.name;
  if (name !== '-') {
    input.source.close(); // read by ranges from the file, not as a stream
    return await openParquet(name, name);
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'batch-score-'));
  const remove = () => rm(dir, { recursive: true, force: true });
  try {
    const file = path.join(dir, 'stdin.parquet');
    await spool(input, file);
    const pf = await openParquet(file, name);
    return { ...pf, close: () => pf.close().finally(remove) };
  } catch (err) {
    await remove();
    throw err;
  }
}

/** Copies the whole input to `file`, waiting for the disk when it is slower than the input. */
async function spool(input: OpenedInput, file: string): Promise<void> {
  const out = createWriteStream(file);
  const failed = once(out, 'error').then(([err]) => {
    throw new RunError('INPUT', `cannot spool standard input to ${file}: ${oneLine(err)}`);
  });
  failed.catch(() => undefined);
  const write = async (piece: Buffer) => {
    if (!out.write(piece)) await Promise.race([once(out, 'drain'), failed]);
  };
  try {
    await write(input.firstPiece);
    for (let r = await input.pieces.next(); !r.done; r = await input.pieces.next()) await write(r.value);
  } finally {
    out.end();
  }
  await Promise.race([once(out, 'close'), failed]);
}

/**
 * Scores a Parquet batch; its sidecar entries have no line (`line: null`): a Parquet row is not a line of text.
 * `unit`: the monitoring of the row group the batch belongs to (else the batch's own, returned with it).
 */
export async function scoreParquetBatch(batch: RecordBatch, ctx: ChunkContext, unit?: UnitMonitor): Promise<ChunkResult> {
  const own = unit === undefined && ctx.monitor ? new UnitMonitor(ctx.monitor) : undefined;
  const result = await processBatch(batch, ctx, unit ?? own);
  for (const e of result.errors) e.line = null;
  if (own) result.monitor = own.partial();
  return result;
}

/**
 * Scores a row group (in a worker or the main thread) batch by batch. A Parquet output gets the group's rows as one
 * row group of its own (`groupFor`, made once the first batch's result is known), so that it keeps the input's row
 * groups whichever thread scored them; other outputs get a part per batch. Rows are numbered in the file already,
 * so the writer adds nothing to them.
 */
export async function scoreParquetUnit(
  batches: Iterable<RecordBatch>,
  ctx: ChunkContext,
  format: (result: ChunkResult) => FormattedChunk,
  groupFor?: (first: ChunkResult, capacity: number) => GroupBuilder,
): Promise<FormattedBlock> {
  const all = [...batches];
  // One partial profile for the row group, as for a block.
  const unit = ctx.monitor ? new UnitMonitor(ctx.monitor) : undefined;
  const monitor = () => (unit ? { monitor: unit.partial() } : {});
  if (!groupFor) {
    const parts: FormattedChunk[] = [];
    for (const batch of all) parts.push(format(await scoreParquetBatch(batch, ctx, unit)));
    return { parts, lines: 0, ...monitor() };
  }
  const results: ChunkResult[] = [];
  const capacity = all.reduce((n, b) => n + b.count, 0);
  let group: GroupBuilder | null = null;
  let rows = 0;
  for (const batch of all) {
    const columnar = 'cols' in batch ? await scoreColumnar(batch as ColumnBatch, ctx, unit) : null;
    if (columnar) {
      const { cols, start } = batch as ColumnBatch;
      group ??= groupFor(columnar.result, capacity);
      group.addColumns(ctx.plan.keep.map((c) => cols[c]), start, batch.count, columnar.pieces);
      rows += batch.count;
      results.push(columnar.result);
      continue;
    }
    const result = await scoreParquetBatch(batch, ctx, unit);
    group ??= groupFor(result, capacity);
    group.add(result.rows);
    rows += result.rows.length;
    results.push({ ...result, rows: [] }); // the rows are in the group now, and can go
  }
  return { parts: [formatEncoded(mergeResults(results), group?.finish() ?? new Uint8Array(0), rows)], lines: 0, ...monitor() };
}

/** The results of consecutive batches as one. */
function mergeResults(results: ChunkResult[]): ChunkResult {
  const merged: ChunkResult = { rows: [], errors: [], scored: 0, records: 0, failed: [], recordShapes: null, calls: 0 };
  for (const r of results) {
    for (const e of r.errors) merged.errors.push(e);
    for (const [i, message] of r.failed) merged.failed.push([merged.records + i, message]);
    merged.scored += r.scored;
    merged.records += r.records;
    merged.calls += r.calls;
    merged.recordShapes ??= r.recordShapes;
  }
  return merged;
}
