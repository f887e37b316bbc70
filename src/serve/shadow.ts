/**
 * Shadow mode (ForestFlow's): every batch the main model scored is scored again by a second model after the
 * responses are sent, never delaying them. Agreement goes to /metrics; --shadow-log appends both predictions of
 * every record as JSONL. A shadow that falls behind drops batches (counted) instead of holding memory.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { formatter, type Engine, type OutputLayout, type OutputRow } from './engine.js';
import type { BatchEvent } from './batcher.js';
import type { ShadowMetrics } from './metrics.js';
import { labelOf, meanAbsDiff } from '../monitor/agreement.js';

/** Batches waiting for the shadow model; more are dropped. */
const MAX_BACKLOG = 8;

export class Shadow {
  private readonly backlog: BatchEvent[] = [];
  private busy: Promise<void> | null = null;
  private readonly log: WriteStream | null;

  constructor(
    private readonly engine: Engine,
    private readonly metrics: ShadowMetrics,
    logPath: string | null,
  ) {
    this.log = logPath ? createWriteStream(logPath, { flags: 'a' }) : null;
    this.log?.on('error', (err) => process.stderr.write(`batch-score: warning: --shadow-log: ${err.message}; shadow predictions are no longer logged\n`));
  }

  /** Called once a batch's responses are on their way. */
  observe(event: BatchEvent): void {
    if (this.backlog.length >= MAX_BACKLOG) {
      this.metrics.dropped.inc(event.records.length);
      return;
    }
    this.backlog.push(event);
    this.busy ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.drain());
  }

  private async drain(): Promise<void> {
    for (let event = this.backlog.shift(); event; event = this.backlog.shift()) {
      try {
        await this.compare(event);
      } catch {
        this.metrics.failed.inc(event.records.length); // the shadow cannot read these columns at all
      }
    }
    this.busy = null;
  }

  private async compare({ plan, records, result }: BatchEvent): Promise<void> {
    const shadowPlan = this.engine.plan(plan.form, plan.columns, plan.named);
    const shadow = await this.engine.score(shadowPlan, records);
    this.metrics.failed.inc(shadow.failed.length);
    const main = plan.engine;
    const diffs: number[] = [];
    const labels: boolean[] = [];
    result.rows.forEach((row, i) => {
      const other = shadow.rows[i];
      if (!row.scored || !other?.scored) return;
      const diff = meanAbsDiff(main.outputs.specs, row, this.engine.outputs.specs, other);
      if (diff !== null) diffs.push(diff);
      const a = labelOf(main.outputs.specs, row);
      const b = labelOf(this.engine.outputs.specs, other);
      if (a !== null && b !== null) labels.push(a === b);
    });
    this.metrics.record(diffs, labels);
    if (this.log) this.write(lines(main, plan.keepNames, result.rows, result.recordShapes), lines(this.engine, shadowPlan.keepNames, shadow.rows, shadow.recordShapes));
  }

  private write(main: string[], shadow: string[]): void {
    let text = '';
    for (let i = 0; i < main.length; i++) text += `{"main":${main[i]},"shadow":${shadow[i] ?? 'null'}}\n`;
    this.log!.write(text);
  }

  /** Waits for the batches already handed over, then closes the log. */
  async close(): Promise<void> {
    await this.busy;
    if (this.log) await new Promise<void>((resolve) => this.log!.end(resolve));
  }
}

/** Each record as the CLI's JSONL output line (kept columns and predictions). */
function lines(engine: Engine, keepNames: string[], rows: OutputRow[], shapes: number[][] | null): string[] {
  const layout: OutputLayout = engine.layout(keepNames, shapes);
  const text = formatter('jsonl').rows(rows, layout);
  return (typeof text === 'string' ? text : new TextDecoder().decode(text)).split('\n').slice(0, rows.length);
}
