/**
 * Micro-batching across requests (the log batcher's rule): records wait, per plan, until --max-batch-size of them
 * are queued or the oldest has waited --max-wait-ms, then are scored as one unit; each record's row and error go
 * back to the request and position it came from. A request larger than a batch is cut into several.
 * A bad record costs only itself: the unit function isolates failing records (retry, then isolate).
 */
import { RunError } from '../errors.js';
import type { BatchResult, OutputRow, RawRecord, RecordError, ServePlan } from './engine.js';
import { recordErrors } from './engine.js';

export interface BatcherSettings {
  maxBatchSize: number;
  maxWaitMs: number;
  /** Records that may wait at once; past it, submit() refuses (load shedding). */
  maxQueue: number;
  /** Batches scored at once (one per model session). */
  concurrency: number;
}

/** What a request gets back: one row per record, in its order, and the failed records by index. */
export interface Scored {
  rows: OutputRow[];
  errors: Map<number, RecordError>;
  /** Per-record output shapes the runtime returned (null when nothing was scored). */
  recordShapes: number[][] | null;
}

/** A batch as scored, for observers (metrics, the shadow model). */
export interface BatchEvent {
  plan: ServePlan;
  records: RawRecord[];
  result: BatchResult;
  seconds: number;
}

/** The queue is full: the request is shed (503 with Retry-After). */
export class Overloaded extends Error {}

interface Request {
  records: RawRecord[];
  /** Next record not yet taken into a batch. */
  taken: number;
  pending: number;
  /** When it arrived (ms): how long its records have waited. */
  arrived: number;
  scored: Scored;
  resolve(s: Scored): void;
  reject(err: unknown): void;
}

interface PlanQueue {
  plan: ServePlan;
  requests: Request[];
  records: number;
  /** When the oldest waiting record arrived (ms). */
  since: number;
}

export class Batcher {
  private readonly queues = new Map<string, PlanQueue>();
  private queued = 0;
  private running = 0;
  private timer: NodeJS.Timeout | null = null;
  private flushing = false;

  constructor(
    private readonly settings: BatcherSettings,
    private readonly score: (plan: ServePlan, records: RawRecord[]) => Promise<BatchResult>,
    private readonly onBatch: (event: BatchEvent) => void = () => undefined,
  ) {}

  /** Records waiting to be scored. */
  get depth(): number {
    return this.queued;
  }

  submit(plan: ServePlan, records: RawRecord[]): Promise<Scored> {
    if (records.length === 0) return Promise.resolve({ rows: [], errors: new Map(), recordShapes: null });
    if (this.queued + records.length > this.settings.maxQueue) {
      return Promise.reject(new Overloaded(`the server is at capacity (${this.queued} records queued, --max-queue ${this.settings.maxQueue}); retry shortly`));
    }
    return new Promise((resolve, reject) => {
      let q = this.queues.get(plan.key);
      if (!q) this.queues.set(plan.key, (q = { plan, requests: [], records: 0, since: Date.now() }));
      const arrived = Date.now();
      if (q.records === 0) q.since = arrived;
      const scored: Scored = { rows: new Array(records.length), errors: new Map(), recordShapes: null };
      q.requests.push({ records, taken: 0, pending: records.length, arrived, scored, resolve, reject });
      q.records += records.length;
      this.queued += records.length;
      this.pump();
    });
  }

  /** Scores whatever waits, without waiting any longer (draining). */
  flush(): void {
    this.flushing = true;
    this.pump();
  }

  private pump(): void {
    const now = Date.now();
    while (this.running < this.settings.concurrency) {
      const q = this.ready(now);
      if (!q) break;
      this.run(q);
    }
    this.arm(now);
  }

  /** A queue with a full batch, else the one whose oldest record has waited longest, if it waited long enough. */
  private ready(now: number): PlanQueue | null {
    let oldest: PlanQueue | null = null;
    for (const q of this.queues.values()) {
      if (q.records === 0) continue;
      if (q.records >= this.settings.maxBatchSize) return q;
      if (!oldest || q.since < oldest.since) oldest = q;
    }
    if (oldest && (this.flushing || now - oldest.since >= this.settings.maxWaitMs)) return oldest;
    return null;
  }

  private arm(now: number): void {
    if (this.timer || this.queued === 0 || this.running >= this.settings.concurrency) return;
    let since = Infinity;
    for (const q of this.queues.values()) if (q.records > 0) since = Math.min(since, q.since);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.pump();
    }, Math.max(0, since + this.settings.maxWaitMs - now));
  }

  /** Takes up to a batch of records from a queue, oldest request first, and scores them. */
  private run(q: PlanQueue): void {
    const parts: Array<{ request: Request; from: number; count: number }> = [];
    const records: RawRecord[] = [];
    while (records.length < this.settings.maxBatchSize && q.requests.length > 0) {
      const request = q.requests[0];
      const count = Math.min(request.records.length - request.taken, this.settings.maxBatchSize - records.length);
      parts.push({ request, from: request.taken, count });
      for (let i = 0; i < count; i++) records.push(request.records[request.taken + i]);
      request.taken += count;
      if (request.taken === request.records.length) q.requests.shift();
    }
    q.records -= records.length;
    this.queued -= records.length;
    if (q.records === 0) this.queues.delete(q.plan.key);
    else q.since = q.requests[0].arrived; // the rest of a cut request has waited since it arrived
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    this.running++;
    const started = performance.now();
    this.score(q.plan, records)
      .then((result) => {
        this.route(parts, result);
        this.onBatch({ plan: q.plan, records, result, seconds: (performance.now() - started) / 1000 });
      })
      .catch((err: unknown) => {
        const error = err instanceof RunError ? err : new RunError('INTERNAL', `scoring failed: ${String(err)}`);
        for (const { request } of parts) request.reject(error);
      })
      .finally(() => {
        this.running--;
        this.pump();
      });
  }

  /** Sends each record's row and error back to its request and position. */
  private route(parts: Array<{ request: Request; from: number; count: number }>, result: BatchResult): void {
    const errors = recordErrors(result);
    let at = 0;
    for (const { request, from, count } of parts) {
      const { scored } = request;
      for (let i = 0; i < count; i++, at++) {
        scored.rows[from + i] = result.rows[at];
        const error = errors.get(at);
        if (error) scored.errors.set(from + i, error);
      }
      scored.recordShapes ??= result.recordShapes;
      request.pending -= count;
      if (request.pending === 0) request.resolve(scored);
    }
  }
}
