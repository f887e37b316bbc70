/**
 * A gzip output written as a sequence of gzip members (RFC 1952 §2.2: a gzip file may hold several, read as the
 * concatenation of their texts by gzip/zcat, Python's gzip and pandas, DuckDB, Node's gunzip). A member ends
 * where a --resume checkpoint can fall (after a block of records, see run/runner.ts), so a checkpoint names a
 * length at a member's end: a resumed run cuts the file back there and goes on with new members, and the file is
 * byte-identical to an uninterrupted run's. A deflate stream cannot be cut and continued exactly (its state is not
 * in the bytes written). Every gzip output is written so, with --resume or not, so the two give the same bytes.
 * Each member is a zlib stream of its own, compressed in the thread pool (off the main thread) as text comes.
 */
import type { Writable } from 'node:stream';
import { createGzip, type Gzip } from 'node:zlib';

export class GzipMembers {
  private member: Gzip | null = null;
  private started = 0;

  /**
   * `out`: where the compressed bytes go (left open at the end); `failed`: the first error seen (of `out` or of a
   * member, which `onError` records); `onBytes`: told every compressed byte handed to `out`, in order.
   */
  constructor(
    private readonly out: Writable,
    private readonly onError: (err: unknown) => void,
    private readonly failed: () => unknown,
    private readonly onBytes?: (bytes: Buffer) => void,
  ) {}

  /** Text for the member being written (one is started by the first text after the last member's end). */
  async write(text: string | Uint8Array): Promise<void> {
    if (text.length === 0) return;
    const member = (this.member ??= this.start());
    if (!member.write(text)) await this.settled(member, 'drain');
  }

  /** Ends the member being written, if any: resolves once all its bytes are handed to `out`. */
  async endMember(): Promise<void> {
    const member = this.member;
    if (member === null) return;
    this.member = null;
    const ended = this.settled(member, 'end');
    member.end();
    await ended;
  }

  /** Ends the last member; an output with no text at all is one empty member (a valid, empty gzip file). */
  async end(): Promise<void> {
    if (this.started === 0) this.member = this.start();
    await this.endMember();
  }

  /** Drops the member being written (the run failed). */
  destroy(): void {
    this.member?.destroy();
    this.member = null;
  }

  private start(): Gzip {
    const member = createGzip();
    member.on('error', this.onError);
    if (this.onBytes) member.on('data', this.onBytes);
    member.pipe(this.out, { end: false });
    this.started++;
    return member;
  }

  /**
   * Resolves on the member's `event` ('drain': room for more text; 'end': every byte handed to `out`), or at once
   * when something failed: an output that failed takes no more bytes, and would leave the member waiting forever.
   */
  private settled(member: Gzip, event: 'drain' | 'end'): Promise<void> {
    if (this.failed() !== undefined || this.out.destroyed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        member.off(event, done).off('error', done).off('close', done);
        this.out.off('error', done).off('close', done);
        resolve();
      };
      member.on(event, done).on('error', done).on('close', done);
      this.out.on('error', done).on('close', done);
    });
  }
}
