/**
 * CSV/TSV records → fields, with csv-parse: the exact general reader. Records arrive already cut by the record
 * rules (recordRules.ts), so those of a batch are parsed in one call (csv-parse's per-call cost is too high to pay per record); only when that
 * call fails are the records parsed one by one to find which ones are malformed.
 */
import { parse } from 'csv-parse/sync';
import type { RecordError } from '../errors.js';
import { oneLine } from '../errors.js';
import type { RawRecord } from './recordRules.js';

/** Fields of one record, or why it has none usable. A record with the wrong field count keeps its cells (for --keep). */
export type ParsedRecord = { cells: unknown[]; error?: undefined } | { cells?: unknown[]; error: RecordError };

export function parseCsvFields(text: string, delimiter: string): string[][] {
  return parse(text, { delimiter, relax_column_count: true, skip_empty_lines: false, bom: false }) as string[][];
}

/** Splits one header record into column names. */
export function parseCsvHeader(record: RawRecord, delimiter: string): string[] {
  if (record.unterminatedQuote) throw new Error('the header has an unterminated quoted field');
  const rows = parseCsvFields(record.text, delimiter);
  return rows[0] ?? [];
}

/**
 * Fields of each record. A record without a quote character has nothing for a CSV parser to interpret, and is
 * split on the delimiter directly: csv-parse reads ~117k rows/s here while `split` reads ~500k (bench/RESULTS.md).
 * Records with quotes go to csv-parse, all of a batch's together.
 */
export function parseCsvRecords(records: RawRecord[], delimiter: string, width: number): ParsedRecord[] {
  const parsed: ParsedRecord[] = new Array(records.length);
  const quoted: number[] = [];
  for (let i = 0; i < records.length; i++) {
    const text = records[i].text;
    if (text.indexOf('"') < 0) parsed[i] = checkWidth(text.split(delimiter), width);
    else quoted.push(i);
  }
  if (quoted.length === 0) return parsed;
  const withQuotes = quoted.map((i) => records[i]);
  const results = parseWithCsvParse(withQuotes, delimiter, width);
  quoted.forEach((i, k) => (parsed[i] = results[k]));
  return parsed;
}

function parseWithCsvParse(records: RawRecord[], delimiter: string, width: number): ParsedRecord[] {
  let rows: string[][] | null = null;
  if (!records.some((r) => r.unterminatedQuote)) {
    try {
      rows = parseCsvFields(records.map((r) => r.text).join('\n'), delimiter);
      if (rows.length !== records.length) rows = null; // defensive: fall back to per-record parsing
    } catch {
      rows = null;
    }
  }
  if (rows) return rows.map((fields) => checkWidth(fields, width));
  return records.map((r) => parseOne(r, delimiter, width));
}

function parseOne(record: RawRecord, delimiter: string, width: number): ParsedRecord {
  if (record.unterminatedQuote) {
    // No line number here: a block's records are numbered from the block's start until the writer places the
    // block, which fixes the entry's `line` (the record's first line) but not the words of its message.
    return { error: { code: 'PARSE_ERROR', message: 'unterminated quoted field: a quote in this record is never closed, so it runs to the end of the input' } };
  }
  try {
    const rows = parseCsvFields(record.text, delimiter);
    if (rows.length !== 1) return { error: { code: 'PARSE_ERROR', message: `expected one record, found ${rows.length}` } };
    return checkWidth(rows[0], width);
  } catch (err) {
    return { error: { code: 'PARSE_ERROR', message: csvParseMessage(err) } };
  }
}

function checkWidth(fields: string[], width: number): ParsedRecord {
  if (fields.length !== width) {
    return { cells: fields, error: { code: 'FEATURE_COUNT', message: `expected ${width} fields, found ${fields.length}` } };
  }
  return { cells: fields };
}

/** csv-parse messages name lines relative to the text it was given; keep the reason, drop the position. */
function csvParseMessage(err: unknown): string {
  return oneLine(err).replace(/\s*at line \d+/, '').replace(/^Invalid/, 'invalid');
}
