/**
 * The error sidecar: JSONL, one object per failed record. Where and how it is written depends on the output
 * (issue 10):
 * - beside a file output it is a temporary file, committed together with the output (or a stale sidecar at its
 *   path removed, so the sidecar beside an output always describes the run that wrote that output);
 * - with a stream output (standard output, a FIFO, a device) it is written as records fail, each batch of entries
 *   flushed, so a run stopped by a signal keeps every reason already found; the run holds a lock on it, so two
 *   runs never share one file;
 * - a sidecar path that is not a regular file (`-`, /dev/null, a FIFO) is written in place.
 */
import { rm } from 'node:fs/promises';
import type { RecordErrorCode } from '../errors.js';
import { acquireLock, type CommitStep, type Lock } from './commit.js';
import type { OutputTarget } from '../options.js';
import { AtomicFileSink, InPlaceSink, StdoutSink, type Sink } from './sinks.js';
import { isS3Url } from '../storage/s3.js';
import { EMPTY_DIGEST } from './segmentDigest.js';

export interface SidecarEntry {
  source: string;
  row: number;
  /** null for a Parquet record (a row, not a line of text). */
  line: number | null;
  /** Byte offset of the record in its source (decompressed for gzip); null where a record has none (Parquet). */
  offset: number | null;
  code: RecordErrorCode;
  message: string;
  record: string;
}

/** Where an aborted run (exit 4) keeps its sidecar: a name no one takes for the sidecar of an output. */
export function abortedName(p: string): string {
  return p.replace(/(\.jsonl)?$/i, '.aborted.jsonl'); // on the whole path: it may be an s3:// URL
}

export class Sidecar {
  private count = 0;
  private kept: string | null = null;
  readonly byCode: Partial<Record<RecordErrorCode, number>> = {};

  private constructor(
    readonly target: OutputTarget,
    private sink: Sink | null,
    private readonly lock: Lock | null,
  ) {}

  /**
   * `streamed`: the output is a stream, so entries are written as they come instead of committed at the end.
   * `resumed`: a --resume run's sidecar file, kept between runs (see run/resume/).
   */
  static async open(target: OutputTarget, streamed: boolean, resumed: AtomicFileSink | null = null): Promise<Sidecar> {
    if (resumed) return new Sidecar(target, resumed, null);
    if (target.inPlace) return new Sidecar(target, null, null);
    // An object cannot be appended to as records fail: it is uploaded whole on commit, whatever the output.
    if (!streamed || isS3Url(target.path!)) return new Sidecar(target, await AtomicFileSink.open(target.path!, false, target.shown), null);
    const lock = await acquireLock(target.path!, target.shown, 0);
    // From now on the file at the path, if any, holds this run's failures and nothing else.
    await rm(target.path!, { force: true });
    return new Sidecar(target, null, lock);
  }

  get failed(): number {
    return this.count;
  }

  /** The failures so far, to go on counting them in a resumed run. */
  state(): { count: number; byCode: Sidecar['byCode'] } {
    return { count: this.count, byCode: { ...this.byCode } };
  }

  restore(state: ReturnType<Sidecar['state']>): void {
    this.count = state.count;
    Object.assign(this.byCode, state.byCode);
  }

  /** The sidecar file's length once flushed (0 when it is not a file of this run's). */
  get length(): number {
    return this.sink instanceof AtomicFileSink ? this.sink.length : 0;
  }

  /** The digest of the entries written since the last call (a resumable sidecar; nothing written yet: the empty one). */
  takeDigest(): string {
    return this.sink instanceof AtomicFileSink ? this.sink.takeDigest() : EMPTY_DIGEST;
  }

  /** Its entries so far on disk (a checkpoint names none that is not). */
  async sync(): Promise<void> {
    if (this.sink instanceof AtomicFileSink) await this.sink.sync();
  }

  /** Where the failures are (after the run): null when none failed or they were discarded with the output. */
  get where(): string | null {
    return this.count === 0 ? null : this.atomic ? this.kept : this.target.shown;
  }

  private get atomic(): boolean {
    return this.sink instanceof AtomicFileSink;
  }

  async add(entries: SidecarEntry[]): Promise<void> {
    if (entries.length === 0) return;
    this.sink ??= await this.openStream();
    for (const e of entries) this.byCode[e.code] = (this.byCode[e.code] ?? 0) + 1;
    this.count += entries.length;
    await this.sink.write(entries.map((e) => `${JSON.stringify(e)}\n`).join(''));
  }

  private async openStream(): Promise<Sink> {
    if (this.target.path === null) return new StdoutSink();
    const mode = this.target.inPlace ? 'append' : 'truncate';
    return InPlaceSink.open(this.target.path, this.target.shown, mode, { flushEach: true });
  }

  /** Finishes the sidecar; for a file output, the step that commits it with the output. */
  async finish(): Promise<CommitStep[]> {
    if (!(this.sink instanceof AtomicFileSink)) {
      await this.sink?.commit();
      return [];
    }
    if (this.count > 0) {
      const step = await this.sink.finish();
      this.kept = this.target.shown; // for the summary written in the same commit; abort() takes it back
      return [step];
    }
    await this.sink.abort();
    return [{ temp: null, target: this.target.path!, shown: this.target.shown }];
  }

  /** After the steps from finish() are committed. */
  committed(): void {
    if (this.sink instanceof AtomicFileSink) this.sink.committed();
  }

  /**
   * The run was aborted over the error thresholds (exit 4): the failures found are kept, under a name that is
   * not the sidecar of the (older) output at the output path.
   */
  async keepAborted(): Promise<void> {
    if (!(this.sink instanceof AtomicFileSink) || this.count === 0) return this.abort();
    const shown = abortedName(this.target.shown);
    await this.sink.commit(abortedName(this.target.path!), shown);
    this.kept = shown;
  }

  /** The run failed: a temporary sidecar is removed; a streamed one keeps what it has. */
  async abort(): Promise<void> {
    this.kept = null;
    await this.sink?.abort();
  }

  async release(): Promise<void> {
    await this.lock?.release();
  }
}
