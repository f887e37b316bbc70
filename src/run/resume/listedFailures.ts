/**
 * A JSON document's failures, as its tail lists them (its `errors`), kept beside a --resume run's output in a file
 * of their own (CheckpointFiles.failures): one `[record, message]` line each, appended as blocks are written, cut
 * back and read again like the partial output. A point names the file's length and a digest of what it gained,
 * never the list itself, so a run with very many failures does not copy a list that grows at every block.
 */
import { readFile } from 'node:fs/promises';
import { RunError } from '../../errors.js';
import { AtomicFileSink } from '../../output/sinks.js';
import type { CheckpointedFile } from './checkpointer.js';

export type ListedFailure = [number, string];

export class ListedFailures implements CheckpointedFile {
  private appended: number;
  private pending: Promise<void> = Promise.resolve();
  private failure: unknown;

  private constructor(
    private readonly sink: AtomicFileSink,
    /** The failures listed before the checkpoint this run goes on from. */
    readonly before: ListedFailure[],
  ) {
    this.appended = before.length;
  }

  /** The file, its first `from` bytes kept (the checkpoint's) and read back, the rest cut off. */
  static async open(file: string, from: number): Promise<ListedFailures> {
    const before = from > 0 ? await readListed(file, from) : [];
    return new ListedFailures(await AtomicFileSink.resumable(file, file, file, from), before);
  }

  /** After a block is written: appends what the writer's list gained since the last call (its length and digest count it at once). */
  add(listed: ReadonlyArray<ListedFailure>): void {
    if (listed.length <= this.appended) return;
    let text = '';
    for (let i = this.appended; i < listed.length; i++) text += `${JSON.stringify(listed[i])}\n`;
    this.appended = listed.length;
    const written = this.sink.write(text).catch((err) => void (this.failure ??= err));
    this.pending = this.pending.then(() => written);
  }

  get length(): number {
    return this.sink.length;
  }

  takeDigest(): string {
    return this.sink.takeDigest();
  }

  async sync(): Promise<void> {
    await this.pending;
    if (this.failure !== undefined) throw this.failure;
    await this.sink.sync();
  }

  /** Closes the file, keeping it for the next run (or for removal with the checkpoint). */
  async close(): Promise<void> {
    await this.pending;
    await this.sink.abort();
  }
}

async function readListed(file: string, bytes: number): Promise<ListedFailure[]> {
  const text = (await readFile(file)).subarray(0, bytes).toString('utf8');
  try {
    return text.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as ListedFailure);
  } catch {
    throw new RunError('USAGE', `the checkpoint's list of failures ${file} is damaged; run without --resume to start again`);
  }
}
