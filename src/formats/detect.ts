/**
 * Which format a source or an output is in: the flag wins; else a file's extension (`.csv`, `.tsv`, `.jsonl`,
 * `.ndjson`, `.json`, each optionally `.gz`); else, for input, the content is sniffed.
 */
import { RunError } from '../errors.js';
import type { RecordFormat } from '../options.js';

const EXTENSIONS: Record<string, RecordFormat> = { csv: 'csv', tsv: 'tsv', jsonl: 'jsonl', ndjson: 'jsonl', json: 'json' };

export function formatFromPath(file: string): RecordFormat | null {
  const m = /\.([a-z]+)(\.gz)?$/i.exec(file);
  return m ? (EXTENSIONS[m[1].toLowerCase()] ?? null) : null;
}

export function isGzipPath(file: string): boolean {
  return /\.gz$/i.test(file);
}

/**
 * Sniffs decoded text (gzip is already undone): the first non-blank character `[` or `{` means JSON lines,
 * anything else CSV. A `{` whose first line is not a whole JSON value (a pretty-printed document), or whose
 * object has the keys of a batch request (`inputs`, or `schema` + `datum`), means a JSON document.
 */
export function sniffFormat(text: string): RecordFormat {
  const start = text.search(/\S/);
  if (start < 0) return 'csv';
  const c = text[start];
  if (c === '[') return 'jsonl';
  if (c !== '{') return 'csv';
  const end = text.indexOf('\n', start);
  const firstLine = end < 0 ? text.slice(start) : text.slice(start, end);
  try {
    const value = JSON.parse(firstLine) as Record<string, unknown>;
    const isRequest = Array.isArray(value.inputs) || (Array.isArray(value.schema) && Array.isArray(value.datum));
    return isRequest ? 'json' : 'jsonl';
  } catch {
    return end < 0 ? 'jsonl' : 'json';
  }
}

/** The output format: the flag, else the output's extension, else the input's family. */
export function outputFormatFor(flag: RecordFormat | null, output: string | null, input: RecordFormat): RecordFormat {
  if (flag) return flag;
  if (output !== null) {
    const byExt = formatFromPath(output);
    if (byExt) return byExt;
  }
  return input;
}

export function parseFormat(flag: string, value: string): RecordFormat {
  const f = value.toLowerCase();
  if (f === 'csv' || f === 'tsv' || f === 'jsonl' || f === 'json') return f;
  if (f === 'ndjson') return 'jsonl';
  throw new RunError('USAGE', `${flag} must be one of csv, tsv, jsonl, json, got ${JSON.stringify(value)}`);
}
