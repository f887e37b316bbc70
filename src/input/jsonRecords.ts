/**
 * JSON records: JSONL lines, the Batch Processing API document `{"inputs": [[…], …]}`, and the ForestFlow
 * inference request `{"schema": […], "datum": [{"tensors": […]}], "configs": {…}}`.
 *
 * A JSON record becomes cells aligned to the plan's columns:
 * - an array → positional features (columns are named by 1-based position); its length is checked;
 * - an object → named fields; a named column absent from the record is `undefined` (MISSING_VALUE);
 *   extra keys are ignored.
 */
import { RunError, oneLine } from '../errors.js';
import type { RawRecord } from './recordRules.js';
import type { ParsedRecord } from './csvRecords.js';

/** Column names a JSON record implies: an object's keys, or `1..n` for an array; null for anything else. */
export function jsonColumns(value: unknown): string[] | null {
  if (Array.isArray(value)) return value.map((_, i) => String(i + 1));
  if (value !== null && typeof value === 'object') return Object.keys(value);
  return null;
}

/** Parses a record's JSON (or takes the value already parsed from a document). */
export function recordValue(record: RawRecord): { value: unknown } | { error: string } {
  if (record.invalid !== undefined) return { error: record.invalid };
  if ('value' in record) return { value: record.value };
  try {
    return { value: JSON.parse(record.text) };
  } catch (err) {
    return { error: `not valid JSON: ${oneLine(err)}` };
  }
}

export function parseJsonRecords(records: RawRecord[], columns: string[]): ParsedRecord[] {
  return records.map((record) => {
    const parsed = recordValue(record);
    if ('error' in parsed) return { error: { code: 'PARSE_ERROR', message: parsed.error } };
    return cellsOf(parsed.value, columns);
  });
}

function cellsOf(value: unknown, columns: string[]): ParsedRecord {
  if (Array.isArray(value)) {
    if (value.length !== columns.length) {
      return { cells: value, error: { code: 'FEATURE_COUNT', message: `expected ${columns.length} values, found ${value.length}` } };
    }
    return { cells: value };
  }
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    return { cells: columns.map((c) => (Object.hasOwn(obj, c) ? obj[c] : undefined)) };
  }
  return { error: { code: 'PARSE_ERROR', message: `expected a JSON object or array, found ${value === null ? 'null' : typeof value}` } };
}

export interface JsonDocument {
  kind: 'inputs' | 'forestflow' | 'records';
  records: RawRecord[];
  /** Column names (ForestFlow: the schema's fields; inputs: positional). */
  columns: string[] | null;
  /** ForestFlow `configs`, copied into the summary. */
  configs?: unknown;
}

/** Reads a whole JSON document (an array of records, or one of the two request shapes) into records. */
export function readJsonDocument(text: string, source: string): JsonDocument {
  let doc: unknown;
  try {
    // A BOM is no JSON (JSON.parse refuses it); elementStarts still counts its bytes in the offsets.
    doc = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (err) {
    throw new RunError('INPUT', `${source} is not a JSON document: ${oneLine(err)}`);
  }
  const obj = doc as Record<string, unknown>;
  const starts = elementStarts(text);
  if (Array.isArray(doc)) {
    // `[{…},{…}]` (pandas orient="records", jq -s) or `[[…],[…]]`: each element is a record.
    return { kind: 'records', records: doc.map((value, i) => docRecord(value, i, starts.top)), columns: null };
  }
  if (obj && typeof obj === 'object' && Array.isArray(obj.inputs)) {
    const records = obj.inputs.map((value, i) => docRecord(value, i, starts.inputs));
    return { kind: 'inputs', records, columns: null };
  }
  if (obj && typeof obj === 'object' && Array.isArray(obj.schema) && Array.isArray(obj.datum)) {
    const schema = obj.schema as Array<{ type?: unknown; fields?: unknown }>;
    const columns = schema.flatMap((s, j) => {
      if (typeof s?.type !== 'string' || !Array.isArray(s.fields)) {
        throw new RunError('INPUT', `${source}: schema[${j}] needs a "type" and a "fields" list`);
      }
      return s.fields.map(String);
    });
    const records = obj.datum.map((datum, i) => {
      const fields = forestFlowRecord(datum, schema);
      const record = docRecord(fields, i, starts.datum, datum);
      if (typeof fields === 'string') record.invalid = fields;
      return record;
    });
    return { kind: 'forestflow', records, columns, configs: obj.configs };
  }
  throw new RunError('INPUT', `${source}: a JSON document needs to be an array of records, or have "inputs" (a list of records) or "schema" and "datum" (a ForestFlow request)`);
}

function docRecord(value: unknown, i: number, starts: Map<number, ElementStart>, raw: unknown = value): RawRecord {
  const start = starts.get(i);
  return { row: i + 1, line: start?.line ?? 1, ...(start ? { offset: start.offset } : {}), text: JSON.stringify(raw), value };
}

/** Where an element of the document starts: its 1-based line and its byte offset in the document's bytes. */
interface ElementStart {
  line: number;
  offset: number;
}

/**
 * A ForestFlow datum → an object keyed by the schema's field names. Each tensor is `{"<Type>": {"data": [...]}}`
 * matching schema[j]; for a malformed datum, the reason (a string).
 */
function forestFlowRecord(datum: unknown, schema: Array<{ type?: unknown; fields?: unknown }>): Record<string, unknown> | string {
  const tensors = (datum as { tensors?: unknown })?.tensors;
  if (!Array.isArray(tensors) || tensors.length !== schema.length) return `datum needs ${schema.length} tensors, one per schema entry`;
  const record: Record<string, unknown> = {};
  for (const [j, s] of schema.entries()) {
    const fields = s.fields as unknown[];
    const data = (tensors[j] as Record<string, { data?: unknown }> | null)?.[s.type as string]?.data;
    if (!Array.isArray(data) || data.length !== fields.length) {
      return `tensor ${j} needs {"${String(s.type)}": {"data": [${fields.length} values]}}`;
    }
    fields.forEach((f, k) => (record[String(f)] = data[k]));
  }
  return record;
}

type Starts = Record<'inputs' | 'datum' | 'top', Map<number, ElementStart>>;

/**
 * Where each element of the document (a top-level array) or of its `inputs` / `datum` arrays starts, found by a
 * scan that tracks strings and nesting (JSON.parse does not report positions). The scan counts characters; their
 * byte offsets are counted afterwards, in order, from the UTF-8 length of the text between two starts.
 */
function elementStarts(text: string): Starts {
  const result: Starts = { inputs: new Map(), datum: new Map(), top: new Map() };
  const found: ElementStart[] = [];
  const startAt = (map: Map<number, ElementStart>, index: number, line: number, i: number) => {
    const start = { line, offset: i };
    map.set(index, start);
    found.push(start);
  };
  let at = 2; // the depth of the elements being numbered
  let depth = 0;
  let line = 1;
  let lastKey = '';
  let current: Map<number, ElementStart> | null = null;
  let index = 0;
  let expectValue = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\n') { line++; continue; }
    if (c === '"') {
      const start = i;
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
      if (depth === 1) lastKey = text.slice(start + 1, i);
      if (current && depth === at && expectValue) { startAt(current, index, line, start); expectValue = false; }
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r') continue;
    if (current && depth === at && expectValue && c !== ']') { startAt(current, index, line, i); expectValue = false; }
    if (c === '[' || c === '{') {
      depth++;
      const named = depth === 2 && at !== 1 && (lastKey === 'inputs' || lastKey === 'datum');
      if (c === '[' && (named || depth === 1)) {
        current = named ? result[lastKey as 'inputs' | 'datum'] : result.top;
        at = depth;
        index = 0;
        expectValue = true;
      }
    } else if (c === ']' || c === '}') {
      depth--;
      if (depth === at - 1) current = null;
    } else if (c === ',' && depth === at && current) {
      index++;
      expectValue = true;
    }
  }
  toByteOffsets(text, found);
  return result;
}

/** Character indices (in increasing order) → byte offsets in the text's UTF-8 bytes. */
function toByteOffsets(text: string, starts: ElementStart[]): void {
  let char = 0;
  let byte = 0;
  for (const s of starts) {
    byte += Buffer.byteLength(text.slice(char, s.offset));
    char = s.offset;
    s.offset = byte;
  }
}
