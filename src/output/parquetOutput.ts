/**
 * Parquet output: the CSV output's columns, typed. Each row group is encoded on its own (numbers from typed arrays
 * by parquetTypedChunk.ts, other columns by hyparquet-writer) and handed to the sink as bytes; the formatter places
 * groups and records their metadata, and `tail` writes the footer (hyparquet-writer). A Parquet input's row groups
 * are encoded where they are scored (a worker too); other inputs' rows are gathered here into groups.
 */
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import { snappyCompress } from './snappy.js';
import { isTypedChunk, typedChunk, type ColumnChunk, type EncodedChunk, type TypedColumn } from './parquetTypedChunk.js';
import type { SchemaElement } from 'hyparquet';
import type { Compression } from '../options.js';
import type { Columns } from '../input/inputFormat.js';
import type { OutputLayout, OutputRow, OutputValues, RowFormatter } from './formatters.js';
import type { ColumnValues } from '../input/parquetColumns.js';
import { sizeFromEnv } from '../input/testSizes.js';
import { fromJsonValue, toJsonValue } from './jsonValues.js';

type WriterSchema = ConstructorParameters<typeof ParquetWriter>[0]['schema'];
/** A row group's metadata as hyparquet-writer makes it (its own hyparquet's types). */
type RowGroup = ParquetWriter['row_groups'][number];

/**
 * Rows per row group from inputs other than Parquet: large enough for column-wise compression and fast scans, small
 * enough to hold in memory (tests shrink it to reach several groups with a few rows).
 */
export const ROW_GROUP_ROWS = sizeFromEnv('BATCH_SCORE_ROW_GROUP_ROWS', 100_000);

const EMPTY = new Uint8Array(0);

const CODEC = { snappy: 'SNAPPY', gzip: 'GZIP', brotli: 'BROTLI', none: 'UNCOMPRESSED' } as const;
const COMPRESSORS = {
  SNAPPY: snappyCompress,
  GZIP: (input: Uint8Array) => new Uint8Array(gzipSync(input)),
  BROTLI: (input: Uint8Array) => new Uint8Array(brotliCompressSync(input)),
};

/** Kept Parquet columns of these plain types keep their type; any other kept column is written as text. */
const PLAIN_TYPES = new Set(['BOOLEAN', 'INT32', 'INT64', 'FLOAT', 'DOUBLE']);

interface OutColumn {
  element: SchemaElement;
  /** The value written for a cell (null for none). */
  convert(v: unknown): unknown;
}

export interface ParquetSettings {
  compression: Compression;
  /** The input's columns (their Parquet types when the input is Parquet). */
  columns: Columns | null;
  /**
   * Each rows() call is one row group, encoded at once wherever it runs (a worker too) and returned as an
   * EncodedGroup, which the writer's formatter places in the file (place()). Parquet input is scored a row group
   * at a time, so its output keeps the input's row groups; other inputs come in small chunks and are gathered.
   */
  groupPerCall?: boolean;
  /**
   * Rows come in blocks of records a run can be resumed after (CSV, TSV, JSONL): a row group ends at the first block
   * end at or after ROW_GROUP_ROWS rows, in every run, so that a checkpoint can fall right after a row group is
   * written (see `checkpoint`). Otherwise (a JSON document's rows) a group ends at ROW_GROUP_ROWS rows exactly.
   */
  groupsAtBlockEnds?: boolean;
}

/**
 * What a resumed run's Parquet writer goes on from: the bytes written (the head and whole row groups) and each
 * row group's metadata for the footer, as JSON (bigints and the statistics' values tagged, see jsonValues.ts).
 */
export interface ParquetCheckpoint {
  offset: number;
  /** The file's schema (a resumed run may score nothing before the footer, and never learn the layout). */
  schema: unknown;
  rowGroups: unknown[];
}

/** A row group's bytes and its metadata, with offsets counted from the start of `bytes`. */
export interface EncodedGroup {
  bytes: Uint8Array;
  group: RowGroup | null;
}

export function parquetFormatter(settings: ParquetSettings): RowFormatter {
  const byteWriter = new ByteWriter(1 << 16);
  let writer: ParquetWriter | null = null;
  let builder: GroupBuilder | null = null;
  /** A resumed run's writer state, before its head is written (else the writer is made from it at once). */
  let restored: ParquetCheckpoint | null = null;
  /** The row groups placed so far as JSON, for checkpoints (each made once, when it is placed). */
  let placedGroups: unknown[] = [];

  /** The bytes written since the last call (the writer's buffer is reused; its offset keeps counting). */
  const drain = (): Uint8Array => {
    const bytes = new Uint8Array(byteWriter.buffer, 0, byteWriter.index).slice();
    byteWriter.index = 0;
    return bytes;
  };
  /** The schema, from the layout (the first batch is formatted before the head is asked for). */
  const start = (layout: OutputLayout): ParquetWriter => {
    if (writer) return writer;
    const columns = outputColumns(layout, settings.columns);
    return (writer = newWriter(byteWriter, schemaOf(columns), settings));
  };
  const formatter: RowFormatter = {
    head(layout) {
      start(layout);
      return drain();
    },
    ...(settings.groupPerCall ? { groupBuilder: (layout: OutputLayout, capacity: number) => groupBuilder(layout, capacity, settings) } : {}),
    // Other inputs come in small batches, gathered here into row groups of ROW_GROUP_ROWS.
    rows(rows, layout) {
      start(layout);
      if (settings.groupsAtBlockEnds) {
        (builder ??= groupBuilder(layout, ROW_GROUP_ROWS, settings)).add(rows);
        return EMPTY;
      }
      const placed: Uint8Array[] = [];
      for (let at = 0; at < rows.length; ) {
        builder ??= groupBuilder(layout, ROW_GROUP_ROWS, settings);
        const take = Math.min(rows.length - at, ROW_GROUP_ROWS - builder.size());
        builder.add(at === 0 && take === rows.length ? rows : rows.slice(at, at + take));
        at += take;
        if (builder.size() < ROW_GROUP_ROWS) continue;
        placed.push(formatter.place!(builder.finish()));
        builder = null;
      }
      return placed.length === 1 ? placed[0] : Buffer.concat(placed);
    },
    place(encoded) {
      // The group's offsets move to where its bytes land: after everything the writer has counted so far.
      if (encoded.group) {
        shiftGroup(encoded.group, BigInt(byteWriter.offset));
        writer!.row_groups.push(encoded.group);
        placedGroups.push(toJsonValue(encoded.group));
        writer!.num_rows += encoded.group.num_rows;
      }
      byteWriter.offset += encoded.bytes.length;
      return encoded.bytes;
    },
    ...(settings.groupsAtBlockEnds
      ? {
          endBlock() {
            if (builder === null || builder.size() < ROW_GROUP_ROWS) return EMPTY;
            const placed = formatter.place!(builder.finish());
            builder = null;
            return placed;
          },
        }
      : {}),
    checkpoint() {
      if (builder !== null && builder.size() > 0) return null; // inside a row group: no point here
      if (writer === null) return restored ?? ({ offset: 0, schema: null, rowGroups: [] } satisfies ParquetCheckpoint);
      return { offset: byteWriter.offset, schema: toJsonValue(writer.schema), rowGroups: placedGroups.slice() } satisfies ParquetCheckpoint;
    },
    restore(state) {
      restored = state as ParquetCheckpoint;
      if (restored.offset === 0) return; // nothing written yet: the head is written as in any run
      writer = resumedWriter(byteWriter, restored, settings);
      placedGroups = [...restored.rowGroups];
    },
    tail() {
      const last = builder ? formatter.place!(builder.finish()) : new Uint8Array(0);
      builder = null;
      void writer!.finish();
      return Buffer.concat([last, drain()]);
    },
  };
  return formatter;
}

function schemaOf(columns: OutColumn[]): WriterSchema {
  // hyparquet-writer brings its own hyparquet, whose types differ in details unused here.
  return [{ name: 'schema', num_children: columns.length }, ...columns.map((c) => c.element)] as WriterSchema;
}

function newWriter(byteWriter: ByteWriter, schema: WriterSchema, settings: ParquetSettings): ParquetWriter {
  return new ParquetWriter({ writer: byteWriter, schema, codec: CODEC[settings.compression], compressors: COMPRESSORS, createdBy: 'batch-score' });
}

/** A checkpoint's writer: the head and the row groups are in the file already, and it goes on after them. */
function resumedWriter(byteWriter: ByteWriter, state: ParquetCheckpoint, settings: ParquetSettings): ParquetWriter {
  const writer = newWriter(byteWriter, fromJsonValue(state.schema) as WriterSchema, settings);
  byteWriter.index = 0; // the head it wrote is in the file
  byteWriter.offset = state.offset;
  writer.row_groups = state.rowGroups.map((g) => fromJsonValue(g) as RowGroup);
  writer.num_rows = writer.row_groups.reduce((n, g) => n + g.num_rows, 0n);
  return writer;
}

/** A row group made batch by batch into typed columns, then encoded on its own (offsets from its bytes' start). */
export interface GroupBuilder {
  add(rows: OutputRow[]): void;
  /** Rows scored column-wise: kept columns' values from row `from`, and the model's outputs for `count` rows. */
  addColumns(keeps: ColumnValues[], from: number, count: number, pieces: ScoredRows[]): void;
  /** Rows added so far. */
  size(): number;
  finish(): EncodedGroup;
}

/** Rows [start, end) of a batch as one model call returned them (value j of row r of output k at data[(r - start) * size + j]). */
export interface ScoredRows {
  start: number;
  end: number;
  outputs: OutputValues[];
}

function groupBuilder(layout: OutputLayout, capacity: number, settings: ParquetSettings): GroupBuilder {
  const columns = outputColumns(layout, settings.columns);
  const values = columns.map((c) => {
    const Typed = TYPED[c.element.type as keyof typeof TYPED];
    return Typed ? new Typed(capacity) : new Array(capacity);
  }) as unknown[][];
  let count = 0;
  return {
    add(rows) {
      // A group ending at a block end holds more than `capacity` rows: typed columns grow (they drop writes past their end).
      if (count + rows.length > capacity) {
        capacity = Math.max(2 * capacity, count + rows.length);
        values.forEach((v, i) => (values[i] = grown(v, capacity)));
      }
      addColumns(rows, count, layout, columns, values);
      count += rows.length;
    },
    addColumns(keeps, from, n, pieces) {
      const put = putter(values);
      let i = 0;
      for (const col of keeps) {
        const { convert } = columns[i];
        for (let r = 0; r < n; r++) put(i, count + r, convert(col.nulls !== null && col.nulls[from + r] === 1 ? null : col.values[from + r]));
        i++;
      }
      for (let k = 0; k < layout.sizes.length; k++) {
        for (let j = 0; j < layout.sizes[k]; j++, i++) {
          const { convert } = columns[i];
          for (const p of pieces) {
            const o = p.outputs[k];
            for (let r = p.start; r < p.end; r++) put(i, count + r, convert(o.data[(r - p.start) * o.size + j]));
          }
        }
      }
      count += n;
    },
    size: () => count,
    finish() {
      if (count === 0) return { bytes: new Uint8Array(0), group: null };
      return encodeGroup(columns, values.map((v) => (count === v.length ? v : v.slice(0, count))), settings);
    },
  };
}

/**
 * One row group of `data` (a column each), offsets from its bytes' start. A column in a typed array (no nulls) is
 * written straight from its bytes (parquetTypedChunk.ts); any other by hyparquet-writer, one column at a time.
 */
function encodeGroup(columns: OutColumn[], data: unknown[][], settings: ParquetSettings): EncodedGroup {
  const codec = CODEC[settings.compression];
  const compress = codec === 'UNCOMPRESSED' ? undefined : COMPRESSORS[codec];
  const parts: Uint8Array[] = [];
  const chunks: ColumnChunk[] = [];
  let offset = 0;
  let uncompressed = 0n;
  columns.forEach((c, i) => {
    const { bytes, chunk } = isTypedChunk(c.element, data[i]) ? typedChunk(c.element, data[i] as TypedColumn, codec, compress) : libraryChunk(c, data[i], settings);
    shiftChunk(chunk, BigInt(offset));
    uncompressed += chunk.meta_data?.total_uncompressed_size ?? 0n;
    parts.push(bytes);
    chunks.push(chunk);
    offset += bytes.length;
  });
  const rows = BigInt(data[0]?.length ?? 0);
  return { bytes: Buffer.concat(parts), group: { columns: chunks, total_byte_size: uncompressed, num_rows: rows, total_compressed_size: BigInt(offset) } };
}

/**
 * A column chunk written by hyparquet-writer as the only column of a file of its own, taken out of that file. No
 * page indexes: they would be written after the last row group, which a group encoded on its own cannot know.
 */
function libraryChunk(column: OutColumn, values: unknown[], settings: ParquetSettings): EncodedChunk {
  const byteWriter = new ByteWriter(values.length * 8 + 1024);
  const writer = newWriter(byteWriter, schemaOf([column]), settings);
  void writer.write({ columnData: [{ name: column.element.name, data: values, offsetIndex: false }], rowGroupSize: values.length });
  const chunk = writer.row_groups[0].columns[0];
  const magic = 4; // the file's PAR1, which the output's head has written already
  shiftChunk(chunk, BigInt(-magic));
  return { bytes: new Uint8Array(byteWriter.buffer, magic, byteWriter.index - magic), chunk };
}

/** Moves a row group's file offsets by `delta` bytes. */
function shiftGroup(group: RowGroup, delta: bigint): void {
  if (group.file_offset !== undefined) group.file_offset += delta;
  for (const chunk of group.columns) shiftChunk(chunk, delta);
}

function shiftChunk(chunk: ColumnChunk, delta: bigint): void {
  chunk.file_offset += delta;
  const meta = chunk.meta_data;
  if (!meta) return;
  meta.data_page_offset += delta;
  if (meta.dictionary_page_offset !== undefined) meta.dictionary_page_offset += delta;
  if (meta.index_page_offset !== undefined) meta.index_page_offset += delta;
}

/** A typed column with room for `capacity` values (a plain array grows by itself). */
function grown(column: unknown[], capacity: number): unknown[] {
  if (Array.isArray(column)) return column;
  const Typed = (column as object).constructor as new (n: number) => { set(a: unknown): void };
  const more = new Typed(capacity);
  more.set(column);
  return more as unknown as unknown[];
}

const TYPED = { FLOAT: Float32Array, DOUBLE: Float64Array, INT32: Int32Array, INT64: BigInt64Array } as const;

/**
 * The rows' values, column by column from row `at`, in typed arrays where the column's type has one, until a null
 * turns the column into a plain array (the writer takes both; plain arrays of a group's numbers and bigints made
 * most of a worker's garbage).
 */
function addColumns(rows: OutputRow[], at: number, layout: OutputLayout, columns: OutColumn[], values: unknown[][]): void {
  const put = putter(values);
  for (let n = 0; n < rows.length; n++) {
    const row = rows[n];
    const r = at + n;
    let i = 0;
    for (const v of row.keep) put(i, r, columns[i++].convert(v));
    for (let k = 0; k < layout.sizes.length; k++) {
      const o = row.scored?.[k];
      for (let j = 0; j < layout.sizes[k]; j++, i++) put(i, r, o ? columns[i].convert(o.data[row.at * o.size + j]) : null);
    }
  }
}

/** Sets value r of column i; a null turns a typed column into a plain array. */
function putter(values: unknown[][]): (i: number, r: number, v: unknown) => void {
  return (i, r, v) => {
    if (v === null || v === undefined) {
      if (!Array.isArray(values[i])) values[i] = Array.from(values[i]);
      values[i][r] = null;
    } else {
      values[i][r] = v;
    }
  };
}

/** The output's columns: kept ones (typed as in a Parquet input, else text), then each output's values. */
function outputColumns(layout: OutputLayout, input: Columns | null): OutColumn[] {
  const keeps = layout.keepNames.map((name) => {
    const t = input?.types?.[input.names.indexOf(name)];
    if (t && t.type && PLAIN_TYPES.has(t.type) && (t.num_children ?? 0) === 0 && !isDated(t)) {
      const element: SchemaElement = { name, type: t.type, repetition_type: 'OPTIONAL' };
      if (t.converted_type?.startsWith('INT_') || t.converted_type?.startsWith('UINT_')) element.converted_type = t.converted_type;
      return { element, convert: (v: unknown) => (v === undefined ? null : v) };
    }
    return { element: { name, type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' } as SchemaElement, convert: keptText };
  });
  const outputs = layout.columnNames.flatMap((names, k) => names.map((name) => predictionColumn(name, layout.outputTypes[k])));
  return [...keeps, ...outputs];
}

function isDated(t: SchemaElement): boolean {
  const c = t.converted_type ?? '';
  return c === 'DATE' || c.startsWith('TIME') || c === 'DECIMAL' || t.logical_type !== undefined;
}

/** A kept value as text (as in CSV); null stays null. */
function keptText(v: unknown): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'bigint') return v.toString();
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
}

/** A model output's values: FLOAT, DOUBLE, INT32, INT64, BOOLEAN or UTF8 as its element type. */
function predictionColumn(name: string, type: string): OutColumn {
  const el = (t: SchemaElement['type'], extra: Partial<SchemaElement> = {}): SchemaElement => ({ name, type: t, repetition_type: 'OPTIONAL', ...extra });
  const same = (v: unknown) => v;
  switch (type) {
    case 'float32':
    case 'float16': return { element: el('FLOAT'), convert: same };
    case 'float64': return { element: el('DOUBLE'), convert: same };
    case 'int8':
    case 'int16':
    case 'int32':
    case 'uint8':
    case 'uint16': return { element: el('INT32'), convert: (v) => Number(v) };
    case 'int64':
    case 'uint32':
    case 'uint64': return { element: el('INT64'), convert: (v) => BigInt.asIntN(64, BigInt(v as number | bigint)) };
    case 'bool': return { element: el('BOOLEAN'), convert: (v) => Boolean(v) };
    default: return { element: el('BYTE_ARRAY', { converted_type: 'UTF8' }), convert: (v) => String(v) };
  }
}
