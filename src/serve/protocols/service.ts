/** What a protocol adapter needs: the engine's plans and layouts, the batcher, and the per-request limit. */
import type { Scored } from '../batcher.js';
import type { Engine, RawRecord, ServePlan } from '../engine.js';
import { badRequest } from '../httpErrors.js';

export interface ScoringService {
  engine: Engine;
  /** Records one request may carry (--max-queue: more could never be queued at once). */
  maxRecords: number;
  submit(plan: ServePlan, records: RawRecord[]): Promise<Scored>;
}

/** An answer: status, content type and body, and the request's record counts for the log line. */
export interface Reply {
  status: number;
  type: string;
  body: string | Uint8Array;
  records: number;
  failed: number;
  headers?: Record<string, string>;
}

export function checkRecordCount(count: number, service: ScoringService): void {
  if (count > service.maxRecords) {
    throw badRequest(`the request holds ${count} records; at most ${service.maxRecords} (--max-queue) per request: send it in parts`);
  }
}

/** Failed records as [index, message], in index order (the `errors` object of the Batch Processing API). */
export function failedList(scored: Scored): Array<[number, string]> {
  return [...scored.errors.entries()].sort((a, b) => a[0] - b[0]).map(([i, e]) => [i, e.message]);
}
