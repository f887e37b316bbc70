/**
 * The error sidecar: JSONL, one object per failed record, written atomically like any output file.
 * It is created only when a record fails; a sidecar left at the path by an earlier run is removed when this
 * run has none, so the sidecar beside an output always describes the run that wrote that output.
 */
import { rm } from 'node:fs/promises';
import type { RecordErrorCode } from '../errors.js';
import { AtomicFileSink } from '../io/sinks.js';

export interface SidecarEntry {
  source: string;
  row: number;
  line: number;
  code: RecordErrorCode;
  message: string;
  record: string;
}

export class Sidecar {
  private sink: AtomicFileSink | null = null;
  private count = 0;
  readonly byCode: Partial<Record<RecordErrorCode, number>> = {};

  constructor(readonly path: string) {}

  get failed(): number {
    return this.count;
  }

  async add(entries: SidecarEntry[]): Promise<void> {
    if (entries.length === 0) return;
    this.sink ??= await AtomicFileSink.open(this.path);
    for (const e of entries) this.byCode[e.code] = (this.byCode[e.code] ?? 0) + 1;
    this.count += entries.length;
    await this.sink.write(entries.map((e) => `${JSON.stringify(e)}\n`).join(''));
  }

  async commit(): Promise<void> {
    if (this.sink) await this.sink.commit();
    else await rm(this.path, { force: true });
  }

  async abort(): Promise<void> {
    await this.sink?.abort();
  }
}
