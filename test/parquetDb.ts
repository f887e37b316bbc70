/**
 * DuckDB (a real Parquet engine, dev dependency only) for the Parquet tests: it writes inputs with real encodings,
 * nulls, row groups and codecs, and reads batch-score's Parquet outputs back with their types.
 */
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';

let connection: Promise<DuckDBConnection> | null = null;

function db(): Promise<DuckDBConnection> {
  connection ??= DuckDBInstance.create(':memory:').then((i) => i.connect());
  return connection;
}

function quoted(file: string): string {
  return `'${file.replace(/'/g, "''")}'`;
}

/** Writes the rows of `select` to `dir/name` as Parquet (`options`: DuckDB COPY options, e.g. COMPRESSION zstd). */
export async function writeParquet(dir: string, name: string, select: string, options = ''): Promise<string> {
  const file = path.join(dir, name);
  await (await db()).run(`COPY (${select}) TO ${quoted(file)} (FORMAT parquet${options ? `, ${options}` : ''})`);
  return file;
}

/** Writes the rows of `select` as CSV with a header, for comparing the CSV path with the Parquet path. */
export async function writeCsv(dir: string, name: string, select: string): Promise<string> {
  const file = path.join(dir, name);
  await (await db()).run(`COPY (${select}) TO ${quoted(file)} (FORMAT csv, HEADER true)`);
  return file;
}

/** Rows of a query, as JS values (BIGINT as bigint). */
export async function query(sql: string): Promise<Record<string, unknown>[]> {
  const reader = await (await db()).runAndReadAll(sql);
  return reader.getRowObjects() as Record<string, unknown>[];
}

/** Each column's name and DuckDB type, as DuckDB reads the file. */
export async function parquetTypes(file: string): Promise<Record<string, string>> {
  const rows = await query(`DESCRIBE SELECT * FROM read_parquet(${quoted(file)})`);
  return Object.fromEntries(rows.map((r) => [String(r.column_name), String(r.column_type)]));
}

/** Rows of a Parquet file, in file order. */
export function parquetRows(file: string): Promise<Record<string, unknown>[]> {
  return query(`SELECT * FROM read_parquet(${quoted(file)})`);
}

/** The encodings, codecs and row groups of a file, as its metadata says (to show the test covers them). */
export async function parquetLayout(file: string): Promise<{ encodings: string[]; codecs: string[]; rowGroups: number }> {
  const rows = await query(`SELECT encodings, compression, row_group_id FROM parquet_metadata(${quoted(file)})`);
  return {
    encodings: [...new Set(rows.flatMap((r) => String(r.encodings).split(',').map((e) => e.trim())))],
    codecs: [...new Set(rows.map((r) => String(r.compression)))],
    rowGroups: new Set(rows.map((r) => Number(r.row_group_id))).size,
  };
}

/** Per row group: its rows, and per column the statistics its metadata holds (as DuckDB reads them). */
export async function parquetGroupStats(file: string): Promise<Array<{ rows: number; columns: Record<string, { min: string | null; max: string | null; nulls: number }> }>> {
  const rows = await query(`SELECT row_group_id, row_group_num_rows, path_in_schema, stats_min_value, stats_max_value, stats_null_count
    FROM parquet_metadata(${quoted(file)}) ORDER BY row_group_id, column_id`);
  const groups: Array<{ rows: number; columns: Record<string, { min: string | null; max: string | null; nulls: number }> }> = [];
  for (const r of rows) {
    const g = (groups[Number(r.row_group_id)] ??= { rows: Number(r.row_group_num_rows), columns: {} });
    const text = (v: unknown) => (v === null ? null : String(v));
    g.columns[String(r.path_in_schema)] = { min: text(r.stats_min_value), max: text(r.stats_max_value), nulls: Number(r.stats_null_count) };
  }
  return groups;
}
