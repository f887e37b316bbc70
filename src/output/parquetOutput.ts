/**
 * Parquet output: the CSV output's columns, typed. Rows are gathered into row groups of ROW_GROUP_ROWS and each
 * full group is encoded (hyparquet-writer) and handed to the sink as bytes; the footer is written by `tail`. The
 * formatter keeps state across batches, so it runs in the main thread only (the runner gives it no workers).
 */
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import type { SchemaElement } from 'hyparquet';
import type { Compression } from '../options.js';
import type { Columns } from '../input/inputFormat.js';
import type { OutputLayout, OutputRow, RowFormatter } from './formatters.js';

type WriterSchema = ConstructorParameters<typeof ParquetWriter>[0]['schema'];

/** Rows per row group: large enough for column-wise compression and fast scans, small enough to hold in memory. */
export const ROW_GROUP_ROWS = 100_000;

const CODEC = { snappy: 'SNAPPY', gzip: 'GZIP', brotli: 'BROTLI', none: 'UNCOMPRESSED' } as const;
const COMPRESSORS = {
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
}

export function parquetFormatter(settings: ParquetSettings): RowFormatter {
  const byteWriter = new ByteWriter(1 << 20);
  let writer: ParquetWriter | null = null;
  let columns: OutColumn[] = [];
  let pending: unknown[][] = [];

  /** The bytes written since the last call (the writer's buffer is reused; its offset keeps counting). */
  const drain = (): Uint8Array => {
    const bytes = new Uint8Array(byteWriter.buffer, 0, byteWriter.index).slice();
    byteWriter.index = 0;
    return bytes;
  };
  const writeGroup = (): void => {
    if (!pending[0]?.length) return;
    const columnData = columns.map((c, i) => ({ name: c.element.name, data: pending[i] }));
    void writer!.write({ columnData, rowGroupSize: ROW_GROUP_ROWS });
    pending = columns.map(() => []);
  };

  /** The schema, from the layout (the first batch is formatted before the head is asked for). */
  const start = (layout: OutputLayout): ParquetWriter => {
    if (writer) return writer;
    columns = outputColumns(layout, settings.columns);
    pending = columns.map(() => []);
    // hyparquet-writer brings its own hyparquet, whose types differ in details unused here.
    const schema = [{ name: 'schema', num_children: columns.length }, ...columns.map((c) => c.element)] as WriterSchema;
    return (writer = new ParquetWriter({ writer: byteWriter, schema, codec: CODEC[settings.compression], compressors: COMPRESSORS, createdBy: 'batch-score' }));
  };

  // Bytes come out in the order they are made, whichever call hands them over.
  return {
    head(layout) {
      start(layout);
      return drain();
    },
    rows(rows, layout) {
      start(layout);
      for (const row of rows) addRow(row, layout, columns, pending);
      if (pending[0]?.length >= ROW_GROUP_ROWS) writeGroup();
      return drain();
    },
    tail() {
      writeGroup();
      void writer!.finish();
      return drain();
    },
  };
}

function addRow(row: OutputRow, layout: OutputLayout, columns: OutColumn[], pending: unknown[][]): void {
  let i = 0;
  for (const v of row.keep) pending[i].push(columns[i++].convert(v));
  for (let k = 0; k < layout.sizes.length; k++) {
    const o = row.scored?.[k];
    for (let j = 0; j < layout.sizes[k]; j++, i++) pending[i].push(o ? columns[i].convert(o.data[row.at * o.size + j]) : null);
  }
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
