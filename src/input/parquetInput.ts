/**
 * Parquet input: a file is read row group by row group (memory bounded by a row group, not the file), only the
 * columns the plan uses. Each slice of --batch-size rows is a RecordBatch whose fast path copies typed column
 * values straight into the model's feeds (no text); a null or a value of another kind is declined and decided by
 * the general path, which reads the row as a JSON-like object (MISSING_VALUE, INVALID_VALUE naming the column).
 */
import { open, type FileHandle } from 'node:fs/promises';
import { parquetMetadataAsync, parquetRead, parquetSchema } from 'hyparquet';
import type { AsyncBuffer, ColumnData, FileMetaData, SchemaElement, SchemaTree } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { RunError, oneLine } from '../errors.js';
import type { FeaturePlan } from '../model/featurePlan.js';
import type { FeedData } from '../model/session.js';
import type { RecordBatch } from './blocks.js';
import type { RawRecord } from './recordRules.js';
import type { Columns } from './inputFormat.js';
import { decodeUnit, isDenseColumn, readUnit, type ColumnValues, type ParquetUnit } from './parquetColumns.js';

/** The 4 bytes a Parquet file starts (and ends) with. */
export interface ParquetFile {
  name: string;
  file: AsyncBuffer;
  metadata: FileMetaData;
  /** Top-level columns, in schema order. */
  fields: SchemaTree[];
  columns: Columns;
  /** Closes the file. */
  close(): Promise<void>;
}

/** Opens a Parquet file and reads its footer; an INPUT error says why when it is not one. */
export async function openParquet(path: string, name: string): Promise<ParquetFile> {
  let handle: FileHandle | null = null;
  try {
    handle = await open(path, 'r');
    const file = fileRanges(handle, (await handle.stat()).size);
    const metadata = await parquetMetadataAsync(file);
    const fields = parquetSchema(metadata).children;
    const names = fields.map((f) => f.element.name);
    const opened = handle;
    return { name, file, metadata, fields, columns: { names, header: true, types: fields.map((f) => f.element) }, close: () => opened.close() };
  } catch (err) {
    await handle?.close();
    throw new RunError('INPUT', `cannot read ${name === '-' ? 'standard input' : name} as Parquet: ${oneLine(err)}`);
  }
}

/**
 * A file read by byte range through one open handle, each range into a buffer of its own (transferable to a
 * worker). hyparquet's asyncBufferFromFile opens a stream per range and concatenates its pieces: a copy more.
 */
function fileRanges(handle: FileHandle, size: number): AsyncBuffer {
  return {
    byteLength: size,
    async slice(start: number, end = size): Promise<ArrayBuffer> {
      const length = Math.max(0, Math.min(end, size) - start);
      const buffer = new ArrayBuffer(length);
      for (let got = 0; got < length; ) {
        const { bytesRead } = await handle.read(new Uint8Array(buffer, got), 0, length - got, start + got);
        if (bytesRead === 0) throw new Error(`the file ends before byte ${start + length}`);
        got += bytesRead;
      }
      return buffer;
    },
  };
}

/** A column's kind as the schema says, for messages and inspect: `DOUBLE`, `INT64`, `UTF8`, `LIST`… */
export function describeField(field: SchemaTree): string {
  const e = field.element;
  if (field.children.length) return e.logical_type?.type ?? e.converted_type ?? 'STRUCT';
  if (e.logical_type?.type === 'DECIMAL' || e.converted_type === 'DECIMAL') return `DECIMAL(${e.precision ?? '?'},${e.scale ?? 0})`;
  if (e.converted_type === 'UTF8' || e.logical_type?.type === 'STRING') return 'UTF8';
  // INT_64 and friends only restate the physical type
  return e.converted_type && !/^INT_/.test(e.converted_type) ? e.converted_type : (e.type ?? 'unknown');
}

/**
 * Nested columns can feed only an `[N,K]` input by name (a fixed-length LIST of K values); any other nested
 * feature column is a run error, told before anything is scored.
 */
export function checkNested(pf: ParquetFile, plan: FeaturePlan): void {
  for (const feed of plan.feeds) {
    for (const c of feed.columns) {
      const field = pf.fields[c];
      if (!field?.children.length) continue;
      const kind = describeField(field);
      if (feed.fromArray && kind === 'LIST') continue;
      throw new RunError('MAPPING', `column ${JSON.stringify(field.element.name)} of ${pf.name} is a ${kind} column; a nested column can feed only an [N,K] input named like it, as a LIST of K values`);
    }
  }
}

/** The plan's columns read from the file: features and kept ones, in column order. */
export function wantedColumns(plan: FeaturePlan): number[] {
  return [...new Set([...plan.feeds.flatMap((f) => f.columns), ...plan.keep])].sort((a, b) => a - b);
}

/** Whether every column the plan reads takes the fast path (typed column chunks, see parquetColumns.ts). */
export function denseReadable(pf: ParquetFile, plan: FeaturePlan): boolean {
  return wantedColumns(plan).every((c) => isDenseColumn(pf.fields[pf.columns.names.indexOf(plan.columns[c])]));
}

/**
 * Row groups as units (compressed column chunks, read by byte range), for the fast path. Each is read only once
 * `room` says it may go on: a group read ahead and held while the ones before it are scored is memory for nothing.
 */
export async function* parquetUnits(pf: ParquetFile, plan: FeaturePlan, room: () => Promise<void>): AsyncGenerator<ParquetUnit> {
  const wanted = wantedColumns(plan);
  let firstRow = 1;
  for (let g = 0; g < pf.metadata.row_groups.length; g++) {
    const rows = Number(pf.metadata.row_groups[g].num_rows);
    await room();
    try {
      yield await readUnit(pf, g, wanted, plan, firstRow);
    } catch (err) {
      throw new RunError('INPUT', `cannot read rows ${firstRow}–${firstRow + rows - 1} of ${pf.name}: ${oneLine(err)}`);
    }
    firstRow += rows;
  }
}

/** A unit's rows, decoded, slice by slice: each slice is a batch of at most `batchSize` rows. */
export function* unitBatches(unit: ParquetUnit, plan: FeaturePlan, batchSize: number): Generator<ColumnBatch> {
  let cols: ColumnValues[];
  try {
    cols = decodeUnit(unit);
  } catch (err) {
    throw new RunError('INPUT', `cannot read rows ${unit.firstRow}–${unit.firstRow + unit.rows - 1} of ${unit.source}: ${oneLine(err)}`);
  }
  for (let start = 0; start < unit.rows; start += batchSize) {
    const count = Math.min(batchSize, unit.rows - start);
    yield { ...parquetBatch(unit.source, plan, wantedColumns(plan), cols, start, count, unit.firstRow + start), cols, start };
  }
}

/** A batch of a decoded row group, with the columns it reads from (rows [start, start + count)). */
export interface ColumnBatch extends RecordBatch {
  cols: ColumnValues[];
  start: number;
}

/** Rows of one row group, slice by slice (hyparquet's general reader, for the columns the fast path does not take). */
export async function* parquetBatches(pf: ParquetFile, plan: FeaturePlan, batchSize: number): AsyncGenerator<RecordBatch> {
  for await (const group of parquetGroups(pf, plan, batchSize)) yield* group;
}

/** Each row group's batches of at most `batchSize` rows (hyparquet's general reader). */
export async function* parquetGroups(pf: ParquetFile, plan: FeaturePlan, batchSize: number): AsyncGenerator<RecordBatch[]> {
  const wanted = wantedColumns(plan);
  let groupStart = 0;
  for (const group of pf.metadata.row_groups) {
    const rows = Number(group.num_rows);
    const cols = (await readGroup(pf, plan, wanted, groupStart, groupStart + rows)).map((values) => ({ values, nulls: null }));
    const batches: RecordBatch[] = [];
    for (let start = 0; start < rows; start += batchSize) {
      batches.push(parquetBatch(pf.name, plan, wanted, cols, start, Math.min(batchSize, rows - start), groupStart + start + 1));
    }
    yield batches;
    groupStart += rows;
  }
}

/** The wanted columns of rows [start, end), as arrays indexed from `start` (sparse: by plan column index). */
async function readGroup(pf: ParquetFile, plan: FeaturePlan, wanted: number[], start: number, end: number): Promise<ArrayLike<unknown>[]> {
  const cols: ArrayLike<unknown>[] = [];
  const byName = new Map(wanted.map((c) => [plan.columns[c], c]));
  const onChunk = (chunk: ColumnData): void => {
    const c = byName.get(chunk.columnName);
    if (c === undefined) return;
    // A chunk may hold rows outside the range, and a column may come in several chunks (pages).
    if (chunk.rowStart <= start && chunk.rowEnd >= end) {
      const from = start - chunk.rowStart;
      cols[c] = from === 0 && chunk.columnData.length === end - start ? chunk.columnData : chunk.columnData.slice(from, from + end - start);
      return;
    }
    const into = (cols[c] ??= new Array(end - start)) as unknown[];
    for (let r = Math.max(start, chunk.rowStart); r < Math.min(end, chunk.rowEnd); r++) into[r - start] = chunk.columnData[r - chunk.rowStart];
  };
  try {
    await parquetRead({ file: pf.file, metadata: pf.metadata, columns: wanted.map((c) => plan.columns[c]), rowStart: start, rowEnd: end, compressors, onChunk });
  } catch (err) {
    throw new RunError('INPUT', `cannot read rows ${start + 1}–${end} of ${pf.name}: ${oneLine(err)}`);
  }
  for (const c of wanted) cols[c] ??= new Array(end - start).fill(null);
  return cols;
}

/** A value's copy into a feed; false when the fast path cannot take it (the general path decides). */
type Put = (v: unknown, target: FeedData, at: number) => boolean;

const PUT: Record<string, Put> = {
  float: (v, t, at) => {
    if (typeof v === 'number') (t as Float32Array)[at] = v;
    else if (typeof v === 'bigint') (t as Float32Array)[at] = Number(v);
    else return false;
    return true;
  },
  int32: (v, t, at) => {
    if (typeof v !== 'number' || (v | 0) !== v) return false;
    (t as Int32Array)[at] = v;
    return true;
  },
  int64: (v, t, at) => {
    if (typeof v === 'bigint') (t as BigInt64Array)[at] = v;
    else if (Number.isSafeInteger(v)) (t as BigInt64Array)[at] = BigInt(v as number);
    else return false;
    return true;
  },
  bool: (v, t, at) => {
    if (typeof v !== 'boolean') return false;
    (t as Uint8Array)[at] = v ? 1 : 0;
    return true;
  },
  string: (v, t, at) => {
    if (typeof v !== 'string' || v === '') return false;
    (t as string[])[at] = v;
    return true;
  },
};

function parquetBatch(source: string, plan: FeaturePlan, wanted: number[], cols: ColumnValues[], start: number, count: number, firstRow: number): RecordBatch {
  const feeds = plan.feeds.map((f) => ({
    width: f.width,
    columns: f.columns.map((c) => cols[c]),
    put: f.fromArray ? null : PUT[f.type === 'float32' || f.type === 'float64' ? 'float' : f.type],
  }));
  const keeps = plan.keep.map((c) => cols[c]);
  const cell = (col: ColumnValues, r: number): unknown => (col.nulls !== null && col.nulls[r] === 1 ? null : col.values[r]);
  return {
    source,
    count,
    fastFill(i, slot, data) {
      const r = start + i;
      for (let k = 0; k < feeds.length; k++) {
        const { width, columns, put } = feeds[k];
        if (put === null) return null;
        const target = data[k];
        const base = slot * width;
        for (let j = 0; j < width; j++) {
          const col = columns[j];
          if ((col.nulls !== null && col.nulls[r] === 1) || !put(col.values[r], target, base + j)) return null;
        }
      }
      return keeps.map((col) => cell(col, r));
    },
    record(i): RawRecord {
      const value: Record<string, unknown> = {};
      const fields: string[] = [];
      for (const c of wanted) {
        const v = (value[plan.columns[c]] = cell(cols[c], start + i));
        // int64 as its exact digits (a JSON number), which JSON.stringify cannot write
        fields.push(`${JSON.stringify(plan.columns[c])}:${typeof v === 'bigint' ? v : (JSON.stringify(v, jsonSafe) ?? 'null')}`);
      }
      return { row: firstRow + i, line: 0, text: `{${fields.join(',')}}`, value };
    },
  };
}

/** JSON for values JSON.stringify cannot write, inside lists: int64 as its digits (a string), bytes as base64. */
export function jsonSafe(_key: string, v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  return v;
}

export type { SchemaElement };
