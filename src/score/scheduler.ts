/**
 * Where each block is scored. The first few in the main thread: small inputs never pay for workers, and the first
 * block scored gives the output layout (the shapes the runtime returns). After that, blocks of bytes go to the
 * worker pool, when the run has one (blocks of rows in memory stay in the main thread); while the writer waits for
 * a worker's result, the main thread scores queued blocks no worker has taken yet instead of idling. Whichever
 * thread scores a block, the same unit function gives the same bytes.
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
import type { Block } from '../input/blocks.js';

/** Blocks scored in the main thread before workers take over: small inputs never pay for workers. */
const INLINE_BLOCKS = 2;

export interface SchedulerSettings {
  options: Options;
  session: ModelSession;
  model: ModelBytes;
  outputs: OutputPlan;
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
      this.scoring = scoringFor(plan, this.s.options, this.s.session);
    }
    return this.scoring;
  }

  /** The output columns: from the first block scored, or (nothing scored yet) the declared ones. */
  outputLayout(): OutputLayout {
    return this.layout ?? makeLayout(this.s.options.keep, this.s.outputs, null, this.s.session.info.file.classLabels);
  }

  /**
   * Schedules a block; the result is for the ordered writer, which calls it when the block's turn comes. A block for
   * a worker is handed over at once; one for the main thread is scored when its turn comes.
   */
  schedule(block: Block): () => Promise<FormattedBlock> {
    const workers = ++this.submitted > INLINE_BLOCKS && 'bytes' in block ? this.workers() : null;
    if (workers === null) return () => this.scoreInline(block);
    // Work for a worker waits for the output layout, which the first record scored inline makes. When its turn
    // comes and no record has been scored yet (the blocks before held only blank lines), it is scored inline
    // instead: waiting for a layout that nothing ahead will make would hang the run.
    let inline = false;
    const scored = this.layoutReady.then((l) => (inline ? null : workers.run(block, l)));
    scored.catch(() => undefined); // rejections are handled in the writer's turn
    return async () => {
      inline = this.layout === null;
      return inline ? this.scoreInline(block) : await this.helpWhileWaiting(scored as Promise<FormattedBlock>);
    };
  }

  async close(): Promise<void> {
    await this.pool?.close();
  }

  /** The worker pool (started early by the caller, or here), told the plan; Parquet output is written by the main thread alone. */
  private workers(): WorkerPool | null {
    const { options } = this.s;
    if (options.workers === 0 || this.plan === null || this.plan.outputFormat === 'parquet') return null;
    this.pool ??= new WorkerPool(options.workers, options, this.s.model);
    this.pool.configure(this.plan);
    return this.pool;
  }

  private scoreInline(block: Block): Promise<FormattedBlock> {
    const { ctx, formatter } = this.scoring!;
    const format = (result: BatchResult) => {
      if (this.layout === null) {
        this.layout = makeLayout(this.s.options.keep, this.s.outputs, result.recordShapes, this.s.session.info.file.classLabels);
        this.layoutKnown(this.layout);
      }
      return formatBatch(result, formatter, this.layout);
    };
    return processBlock(block, ctx, format);
  }

  /**
   * Work sharing: while the writer waits for a worker's result, the main thread scores queued work no worker has
   * taken yet, instead of idling (it would otherwise only read and write, a fraction of a core).
   */
  private async helpWhileWaiting(result: Promise<FormattedBlock>): Promise<FormattedBlock> {
    let settled = false;
    result.then(() => (settled = true), () => (settled = true));
    await Promise.resolve(); // let an already settled result say so
    for (let item = settled ? null : this.pool?.steal(); item; item = settled ? null : this.pool?.steal()) {
      try {
        item.resolve(await this.scoreInline(item.work));
      } catch (err) {
        item.reject(err);
      }
    }
    return result;
  }
}
