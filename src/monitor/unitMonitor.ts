/**
 * Monitoring inside a unit of work: the partial profile of the values it fed and the predictions it got, each
 * record's features outside the baseline's range (--ood), and the challenger's agreement. Pure, like the unit.
 */
import { Profiler } from './profiler.js';
import { AgreementCounter, type ScoredRow } from './agreement.js';
import type { MonitorPartial, MonitorSetup } from './runMonitor.js';

type Values = ArrayLike<unknown>;

export class UnitMonitor {
  private readonly profiler: Profiler;
  private readonly agreement: AgreementCounter | null;
  /** Per input column (flattened over the feeds): feed, value index, width, range, name. */
  private readonly checks: Array<{ feed: number; j: number; width: number; low: number; high: number; name: string }> = [];

  constructor(readonly setup: MonitorSetup) {
    this.profiler = new Profiler(setup.profile);
    this.agreement = setup.agreement ? new AgreementCounter(setup.agreement.main, setup.agreement.challenger) : null;
    let i = 0;
    setup.profile.feeds.forEach((f, feed) =>
      f.names.forEach((name, j) => {
        const r = setup.profile.inputRanges?.[i++];
        if (r) this.checks.push({ feed, j, width: f.names.length, low: r[0], high: r[1], name });
      }),
    );
  }

  /** A scored batch: the feeds' first `rows` records (less those the model failed on) and each call's outputs. */
  addBatch(feeds: Values[], rows: number, failed: ReadonlyMap<number, unknown>, pieces: ReadonlyArray<{ start: number; end: number; outputs: ReadonlyArray<{ data: Values; size: number }> }>, mainOutputs: number): void {
    this.profiler.addFeeds(feeds, rows, failed.size ? (r) => failed.has(r) : undefined);
    for (const p of pieces) this.profiler.addOutputs(p.outputs.slice(0, mainOutputs), 0, p.end - p.start);
  }

  /** The input columns of record `row` outside the baseline's [min, max], comma-separated ('' when none). */
  outOfRange(feeds: Values[], row: number): string {
    let names = '';
    for (const c of this.checks) {
      const v = Number(feeds[c.feed][row * c.width + c.j]);
      if (v < c.low || v > c.high) names += names ? `,${c.name}` : c.name;
    }
    return names;
  }

  /** A record both models were asked about (`challenger` null when the challenger failed on it). */
  compare(main: ScoredRow, challenger: ScoredRow | null): void {
    this.agreement?.add(main, challenger);
  }

  partial(): MonitorPartial {
    return { profile: this.profiler.partial(), agreement: this.agreement?.partial() ?? null };
  }
}
