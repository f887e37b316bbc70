/**
 * An output at `s3://bucket/key`, streamed as a multipart upload while the run goes (memory: the parts in flight,
 * see storage/s3.ts) and completed in the run's commit, or aborted: the object appears complete, or not at all.
 */
import type { Writable } from 'node:stream';
import { createGzip } from 'node:zlib';
import type { CommitStep } from './commit.js';
import { waitDrain, type Sink } from './sinks.js';
import { S3Upload, checkBucket } from '../storage/s3.js';

export class S3Sink implements Sink {
  private readonly stream: Writable;
  private failure: unknown;
  private done = false;

  /** Checks the bucket first, so that a missing one stops the run before input is read. */
  static async open(url: string, gzip: boolean): Promise<S3Sink> {
    await checkBucket(url);
    return new S3Sink(url, gzip, await S3Upload.start(url));
  }

  private constructor(readonly url: string, gzip: boolean, private readonly upload: S3Upload) {
    if (gzip) {
      const z = createGzip();
      z.on('error', (err) => (this.failure ??= err));
      z.pipe(this.upload.body);
      this.stream = z;
    } else {
      this.stream = this.upload.body;
    }
  }

  async write(text: string | Uint8Array): Promise<void> {
    this.check();
    if (!this.stream.write(text)) await waitDrain(this.stream, () => this.failure);
    this.check();
  }

  /** The step that completes the upload in the run's commit (commit.ts). */
  async finish(): Promise<CommitStep> {
    this.check();
    return { temp: null, target: this.url, shown: this.url, remote: () => this.complete() };
  }

  async commit(): Promise<void> {
    await this.complete();
  }

  /** After the commit. */
  committed(): void {
    this.done = true;
  }

  async abort(): Promise<void> {
    if (this.done) return;
    this.done = true;
    this.stream.destroy();
    await this.upload.abort();
  }

  private async complete(): Promise<void> {
    this.check();
    if (this.stream !== this.upload.body) {
      // The gzip trailer is written when the gzip stream ends, which then ends the upload's body.
      const ended = new Promise<void>((resolve) => this.upload.body.once('finish', resolve));
      this.stream.end();
      await ended;
    }
    await this.upload.complete();
    this.done = true;
  }

  private check(): void {
    if (this.failure !== undefined) throw this.failure;
    this.upload.check();
  }
}
