/**
 * Where each block is scored. The first few in the main thread: small inputs never pay for workers, and the first
 * block scored gives the output layout (the shapes the runtime returns). After that, blocks of bytes and Parquet
 * row groups go to the worker pool, when the run has one (rows in memory stay in the main thread); while the writer
 * waits for a worker's result, the main thread scores queued blocks no worker has taken yet instead of idling.
 * Whichever thread scores a block, the same unit function gives the same bytes.
 */
import type { Options } from '../options.js';
import type { OutputPlan } from '../model/outputPlan.js';
import type { ModelBytes, ModelSession } from '../model/session.js';
import type { OutputLayout } from '../output/formatters.js';
import type { FormattedBlock } from '../output/orderedWriter.js';
import { makeLayout } from './context.js';
import { formatBatch } from './formatBatch.js';
import type { BatchResult } from './processBatch.js';
import { processBlock } from './processBlock.js';
import { scoringFor, type RunPlan, type Scoring } from './plan.js';
import { WorkerPool } from './workerPool.js';
import { transferable, type Block } from '../input/blocks.js';

/** Blocks scored in the main thread before workers take over: small inputs never pay for workers. */
export const INLINE_BLOCKS = 2;

export interface SchedulerSettings {
  options: Options;
  session: ModelSession;
  model: ModelBytes;
  /** The output columns: the kept ones (--ood's after them), the outputs written (a challenger's after the model's). */
  written: { keep: string[]; outputs: OutputPlan; labels: Record<string, string[]> };
  /** --challenger: its session in the main thread, and its bytes for the workers. */
  challenger: { session: ModelSession; model: ModelBytes } | null;
  /** Workers started early by the caller (they load the model while the main thread does), else null. */
  pool: WorkerPool | null;
}

export class Scheduler {
  private scoring: Scoring | null = null;
  private plan: RunPlan | null = null;
  private layout: OutputLayout | null = null;
  private layoutKnown: (layout: OutputLayout) => void = () => undefined;
  private readonly layoutReady = new Promise<OutputLayout>((resolve) => (this.layoutKnown = resolve));
  private pool: WorkerPool | null;
  private submitted = 0;

  constructor(private readonly s: SchedulerSettings) {
    this.pool = s.pool;
  }

  /** Takes the run's plan (once) and returns the main thread's scoring under it. */
  start(plan: RunPlan): Scoring {
    if (this.scoring === null) {
      this.plan = plan;
      this.scoring = scoringFor(plan, this.s.options, this.s.session, this.s.challenger?.session ?? null);
    }
    return this.scoring;
  }

  /** The output columns: from the first block scored, or (nothing scored yet) the declared ones. */
  outputLayout(): OutputLayout {
    return this.layout ?? this.makeLayout(null);
  }

  /**
   * Schedules a block; the result is for the ordered writer, which calls it when the block's turn comes. A block for
   * a worker is handed over at once; one for the main thread is scored when its turn comes.
   */
  schedule(block: Block): () => Promise<FormattedBlock> {
    // A Parquet row group is large: only the first (which makes the layout) is scored inline.
    const inline = 'rowGroup' in block ? 1 : INLINE_BLOCKS;
    const workers = ++this.submitted > inline && transferable(block) ? this.workers() : null;
    if (workers === null) return () => this.scoreInline(block);
    // Work for a worker waits for the output layout, which the first record scored inline makes. When its turn
    // comes and no record has been scored yet (the blocks before held only blank lines), it is scored inline
    // instead: waiting for a layout that nothing ahead will make would hang the run.
    let here = false;
    const scored = this.layoutReady.then((l) => (here ? null : workers.run(block, l)));
    scored.catch(() => undefined); // rejections are handled in the writer's turn
    return async () => {
      here = this.layout === null;
      return here ? this.scoreInline(block) : await this.helpWhileWaiting(scored as Promise<FormattedBlock>);
    };
  }

  async close(): Promise<void> {
    await this.pool?.close();
  }

  /**
   * The worker pool (started early by the caller, or here), told the plan. Parquet output gathered from other inputs'
   * small batches is written by the main thread alone (a Parquet input's row groups are not).
   */
  private workers(): WorkerPool | null {
    const { options } = this.s;
    const plan = this.plan;
    if (options.workers === 0 || plan === null || (plan.outputFormat === 'parquet' && plan.inputFormat !== 'parquet')) return null;
    this.pool ??= new WorkerPool(options.workers, options, this.s.model, this.s.challenger?.model ?? null);
    this.pool.configure(plan);
    return this.pool;
  }

  private scoreInline(block: Block): Promise<FormattedBlock> {
    const { ctx, formatter } = this.scoring!;
    const layoutFrom = (result: BatchResult): OutputLayout => {
      if (this.layout === null) {
        this.layout = this.makeLayout(result.recordShapes);
        this.layoutKnown(this.layout);
      }
      return this.layout;
    };
    const format = (result: BatchResult) => formatBatch(result, formatter, layoutFrom(result));
    const group = formatter.groupBuilder?.bind(formatter);
    const groupFor = group ? (first: BatchResult, capacity: number) => group(layoutFrom(first), capacity) : null;
    return processBlock(block, ctx, format, groupFor);
  }

  private makeLayout(recordShapes: number[][] | null): OutputLayout {
    const { keep, outputs, labels } = this.s.written;
    return makeLayout(keep, outputs, recordShapes, labels);
  }

  /**
   * Work sharing: while the writer waits for a worker's result, the main thread scores queued work no worker has
   * taken yet, instead of idling (it would otherwise only read and write, a fraction of a core).
   */
  private async helpWhileWaiting(result: Promise<FormattedBlock>): Promise<FormattedBlock> {
    let settled = false;
    const done = result.then(() => (settled = true), () => (settled = true));
    await Promise.resolve(); // let an already settled result say so
    // Work queued while waiting counts too: a Parquet row group read after the wait began is a large share of a run.
    while (!settled && this.pool) {
      const item = this.pool.steal();
      if (item === null) {
        const queued = this.pool.queuedWork();
        await Promise.race([done, queued.wait]);
        queued.cancel();
        continue;
      }
      try {
        item.resolve(await this.scoreInline(item.work));
      } catch (err) {
        item.reject(err);
      }
    }
    return result;
  }
}
