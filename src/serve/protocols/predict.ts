/**
 * POST /predict: the Batch Processing API (`{"inputs": [...]}` → `{"predictions": [...], "errors": {...}}`), the
 * ForestFlow request (`schema`, `datum`, `configs`), and CSV/TSV/NDJSON bodies answered in their own format.
 * Every record is read and checked as in a file run (the same plan, parser and cell checks); a failed record
 * is null in the predictions and named in `errors` by its 0-based index. Partial failure is a 200.
 */
import { stringify } from 'csv-stringify/sync';
import { RunError } from '../../errors.js';
import { formatter, jsonDocument, type RawRecord, type RecordForm, type ServePlan } from '../engine.js';
import { badRequest } from '../httpErrors.js';
import { checkJsonDepth } from '../jsonLimits.js';
import { checkRecordCount, failedList, type Reply, type ScoringService } from './service.js';

export type BodyKind = 'json' | 'csv' | 'tsv' | 'ndjson';

/** The body kind a Content-Type names; anything else (curl -d's form type included) is read as JSON. */
export function bodyKind(contentType: string | undefined): BodyKind {
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (type === 'text/csv') return 'csv';
  if (type === 'text/tab-separated-values') return 'tsv';
  if (type === 'application/x-ndjson' || type === 'application/jsonl' || type === 'application/jsonlines' || type === 'application/x-jsonlines') return 'ndjson';
  return 'json';
}

export async function predict(text: string, kind: BodyKind, service: ScoringService): Promise<Reply> {
  if (kind === 'json') return predictDocument(text, service);
  if (kind === 'ndjson') checkJsonDepth(text);
  const form: RecordForm = kind === 'ndjson' ? 'json' : kind;
  const { records, columns } = asBadRequest(() => service.engine.textRecords(form, text));
  checkRecordCount(records.length, service);
  const plan = planFor(service, form, columns, records);
  const scored = await service.submit(plan, records);
  const layout = service.engine.layout(plan.keepNames, scored.recordShapes);
  const failed = scored.errors.size;
  const headers = { 'x-records-failed': String(failed) };
  if (kind === 'ndjson') {
    const lines = new TextDecoder().decode(formatter('jsonl').rows(scored.rows, layout) as Uint8Array).split('\n');
    // A failed record's line also says why: `"error": "..."` before its closing brace.
    for (const [i, error] of scored.errors) lines[i] = `${lines[i].slice(0, -1)},"error":${JSON.stringify(error.message)}}`;
    return { status: 200, type: 'application/x-ndjson', body: lines.join('\n'), records: records.length, failed, headers };
  }
  return { status: 200, type: kind === 'csv' ? 'text/csv' : 'text/tab-separated-values', body: delimited(kind, scored, layout), records: records.length, failed, headers };
}

async function predictDocument(text: string, service: ScoringService): Promise<Reply> {
  checkJsonDepth(text);
  const doc = asBadRequest(() => jsonDocument(text));
  checkRecordCount(doc.records.length, service);
  const plan = planFor(service, 'json', doc.columns ?? service.engine.jsonColumns(doc.records), doc.records);
  const scored = await service.submit(plan, doc.records);
  const layout = service.engine.layout(plan.keepNames, scored.recordShapes);
  const json = formatter('json');
  const body = json.head(layout) + (json.rows(scored.rows, layout) as string) + json.tail(failedList(scored));
  return { status: 200, type: 'application/json', body, records: doc.records.length, failed: scored.errors.size };
}

/** The plan for a request's columns; with none (no record is an object or array), any plan: each record fails alone. */
function planFor(service: ScoringService, form: RecordForm, columns: string[] | null, records: RawRecord[]): ServePlan {
  if (columns === null && records.length > 0 && form !== 'json') throw badRequest('the body has no header row');
  return asBadRequest(() => (columns === null ? service.engine.plan('json', [], true) : service.engine.plan(form, columns)));
}

/** CSV/TSV: the CLI's columns plus an `error` column, empty for the records that were scored. */
function delimited(kind: 'csv' | 'tsv', scored: import('../batcher.js').Scored, layout: ReturnType<ScoringService['engine']['layout']>): string {
  const delimiter = kind === 'csv' ? ',' : '\t';
  const rows = formatter(kind);
  const decoder = new TextDecoder();
  const cell = (message: string): string => stringify([[message]], { delimiter, record_delimiter: '\n' }).slice(0, -1);
  let out = `${rows.head(layout).slice(0, -1)}${delimiter}error\n`;
  scored.rows.forEach((row, i) => {
    const text = rows.rows([row], layout);
    const line = typeof text === 'string' ? text : decoder.decode(text);
    const error = scored.errors.get(i);
    out += `${line.slice(0, -1)}${delimiter}${error ? cell(error.message) : ''}\n`;
  });
  return out;
}

/** INPUT, MAPPING and USAGE run errors of a request's own making become a 400 with their message. */
function asBadRequest<T>(f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof RunError && (err.code === 'INPUT' || err.code === 'MAPPING' || err.code === 'USAGE')) throw badRequest(err.message, { code: err.code });
    throw err;
  }
}
