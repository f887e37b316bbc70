/**
 * A pool of scoring workers (worker_threads). session.run() blocks the thread it runs on, so parallel scoring
 * needs threads, each with its own session (DESIGN.md). Blocks wait in a queue until a worker has room (or the
 * main thread takes one back to score itself while it would wait); results come back as bytes and are written by
 * the main thread in input order.
 */
import { Worker } from 'node:worker_threads';
import { RunError, type RunErrorCode } from '../errors.js';
import type { Options } from '../options.js';
import type { ModelBytes } from '../model/session.js';
import type { OutputLayout } from '../output/formatters.js';
import type { FormattedBlock } from '../output/orderedWriter.js';
import type { Block } from '../input/blocks.js';
import type { RawRecord } from '../input/recordRules.js';
import type { BatchResult } from './processBatch.js';
import type { RunPlan } from './plan.js';

/** What a worker scores: a block of a run (bytes or a row group's chunks, transferred, not copied), or an HTTP batch. */
export type Work = Block | { serve: ServeWork };

/**
 * A batch of an HTTP server's records with the plan that reads them (the worker makes and keeps a context per plan
 * key); answered with the unit function's result itself, not formatted text: serve routes each record's row back
 * to its own request and formats the response there.
 */
export interface ServeWork {
  plan: { key: string; form: 'json' | 'csv' | 'tsv'; columns: string[]; named: boolean };
  records: RawRecord[];
}

function transferables(work: Work): ArrayBuffer[] {
  if ('bytes' in work) return [work.bytes.buffer as ArrayBuffer];
  if ('rowGroup' in work) return work.rowGroup.chunks.map((c) => c.bytes.buffer as ArrayBuffer);
  return [];
}

/** What a worker starts with: the options and the model's bytes (copied to each worker). */
export interface WorkerSetup {
  options: Options;
  model: ModelBytes;
  /** --challenger's bytes, read once by the main thread like the model's. */
  challenger: ModelBytes | null;
}

/** A failure sent back by a worker: a RunError keeps its code across the thread (DESIGN.md "Errors"). */
export interface WorkerError {
  message: string;
  code?: RunErrorCode;
}

export function toWorkerError(err: unknown): WorkerError {
  return err instanceof RunError ? { message: err.message, code: err.code } : { message: err instanceof Error ? err.message : String(err) };
}

function fromWorker(error: WorkerError): RunError {
  return error.code !== undefined ? new RunError(error.code, error.message) : new RunError('INTERNAL', `a scoring worker failed: ${error.message}`);
}

/** Messages to a worker, handled in order: the setup, then work, then 'close'. */
export type ToWorker = { plan: RunPlan } | WorkMessage | 'close';

export interface WorkMessage {
  id: number;
  work: Work;
  /** Output columns: known once the first block is scored, which may be after the pool has started (null: HTTP work). */
  layout: OutputLayout | null;
}

interface Pending {
  resolve(result: FormattedBlock | BatchResult): void;
  reject(err: unknown): void;
}

/** Work no worker has taken yet: a worker takes it when it has room, or the caller takes it back (steal). */
export interface Queued extends Pending {
  work: Work;
  layout: OutputLayout | null;
}

/** Blocks a worker holds at once: one being scored and one waiting, so it never idles between messages. */
const PER_WORKER = 2;

/**
 * The room a unit takes in a worker. A Parquet row group fills it: a row group is a large share of a run, and one
 * waiting in a worker is one the main thread cannot take while it would otherwise idle.
 */
const roomFor = (work: Work): number => ('rowGroup' in work ? PER_WORKER : 1);

export class WorkerPool {
  /** `ready` once the worker has loaded the model: until then its work stays queued, for the main thread to take. */
  private readonly workers: Array<{ worker: Worker; busy: number; ready: boolean; exited: Promise<void> }> = [];
  private readonly pending = new Map<number, Pending & { room: number }>();
  private readonly queue: Queued[] = [];
  /** Callers waiting for work to be left in the queue (see queuedWork()). */
  private queuedWaiters: Array<() => void> = [];
  private nextId = 0;
  private failure: unknown;

  private configured = false;

  /**
   * Starts the workers, which load the model at once (in parallel with the main thread's own work) from the bytes
   * the main thread read: never from the path, which may name another model by now.
   */
  constructor(size: number, options: Options, model: ModelBytes, challenger: ModelBytes | null = null) {
    for (let i = 0; i < size; i++) {
      const workerData: WorkerSetup = { options, model, challenger };
      // A smaller young generation: each worker's V8 heap counts toward peak RSS (measured ≈ 13 MB saved per run).
      const worker = new Worker(new URL('./scoringWorker.js', import.meta.url), { workerData, resourceLimits: { maxYoungGenerationSizeMb: 8 } });
      // Listened for from the start: a worker that failed to load the model has exited long before close().
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      const slot = { worker, busy: 0, ready: false, exited };
      worker.on('message', (msg: 'ready' | { id: number; result?: FormattedBlock | BatchResult; error?: WorkerError }) => {
        if (msg === 'ready') {
          slot.ready = true;
          this.dispatch();
          return;
        }
        const p = this.pending.get(msg.id);
        this.pending.delete(msg.id);
        slot.busy -= p?.room ?? 1;
        if (msg.error !== undefined) p?.reject(fromWorker(msg.error));
        else p?.resolve(msg.result!);
        this.dispatch();
      });
      worker.on('error', (err) => this.fail(new RunError('INTERNAL', `a scoring worker failed: ${err.message}`, { cause: err })));
      this.workers.push(slot);
    }
  }

  /** Sends the workers the run's plan (once; later calls are ignored). */
  configure(plan: RunPlan): void {
    if (this.configured) return;
    this.configured = true;
    for (const { worker } of this.workers) worker.postMessage({ plan });
  }

  /** Queues a block for the next worker with room; resolves with its formatted result. */
  run(work: Block, layout: OutputLayout): Promise<FormattedBlock> {
    return this.enqueue(work, layout) as Promise<FormattedBlock>;
  }

  /** Scores an HTTP server's batch in a worker: the unit function's result, rows and all. */
  score(work: ServeWork): Promise<BatchResult> {
    return this.enqueue({ serve: work }, null) as Promise<BatchResult>;
  }

  /** Takes back the oldest block no worker has taken, for the caller to score itself while it would wait anyway. */
  steal(): (Queued & { work: Block }) | null {
    const first = this.queue[0];
    return first === undefined || 'serve' in first.work ? null : (this.queue.shift() as Queued & { work: Block });
  }

  private enqueue(work: Work, layout: OutputLayout | null): Promise<FormattedBlock | BatchResult> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.queue.push({ work, layout, resolve, reject });
      this.dispatch();
      if (this.queue.length > 0) this.wakeQueuedWaiters();
    });
  }

  /**
   * `wait` resolves when work is next left in the queue because no worker had room: work the caller may steal.
   * `cancel` drops the wait (a caller whose own result came first), so waits never pile up between wakes.
   */
  queuedWork(): { wait: Promise<void>; cancel(): void } {
    let wake: () => void = () => undefined;
    const wait = new Promise<void>((resolve) => this.queuedWaiters.push((wake = resolve)));
    return { wait, cancel: () => (this.queuedWaiters = this.queuedWaiters.filter((w) => w !== wake)) };
  }

  private wakeQueuedWaiters(): void {
    const waiters = this.queuedWaiters;
    this.queuedWaiters = [];
    for (const wake of waiters) wake();
  }

  private dispatch(): void {
    while (this.queue.length > 0 && this.failure === undefined) {
      const room = (w: { busy: number; ready: boolean }) => (w.ready ? PER_WORKER - w.busy : 0);
      const slot = this.workers.reduce((a, b) => (room(b) > room(a) ? b : a));
      if (room(slot) < roomFor(this.queue[0].work)) return;
      const { work, layout, resolve, reject } = this.queue.shift()!;
      const id = this.nextId++;
      slot.busy += roomFor(work);
      this.pending.set(id, { resolve, reject, room: roomFor(work) });
      const message: WorkMessage = { id, work, layout };
      slot.worker.postMessage(message, transferables(work));
    }
  }

  /**
   * Asks each worker to release its session and exit, and waits for it. Not worker.terminate(): terminating a
   * thread inside onnxruntime's native code (creating a session, or running one) aborts the whole process
   * ("terminate called after throwing an instance of 'Napi::Error'", seen under load).
   */
  async close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closing = this.closeAll();
    return this.closing;
  }

  private closing: Promise<void> | null = null;

  private async closeAll(): Promise<void> {
    await Promise.all(
      this.workers.map(({ worker, exited }) => {
        worker.postMessage('close');
        return exited;
      }),
    );
  }

  private fail(err: unknown): void {
    this.failure ??= err;
    for (const p of [...this.pending.values(), ...this.queue]) p.reject(err);
    this.pending.clear();
    this.queue.length = 0;
  }
}
