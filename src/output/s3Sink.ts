/**
 * An output at `s3://bucket/key`, streamed as a multipart upload while the run goes (memory: the parts in flight,
 * see storage/s3.ts) and completed in the run's commit, or aborted: the object appears complete, or not at all.
 */
import type { CommitStep } from './commit.js';
import { waitDrain, type Sink } from './sinks.js';
import { GzipMembers } from './gzipMembers.js';
import { S3Upload, checkBucket } from '../storage/s3.js';

export class S3Sink implements Sink {
  /** A gzip object is written in members, as a file is (the same bytes). */
  private readonly members: GzipMembers | null;
  private failure: unknown;
  private done = false;

  /** Checks the bucket first, so that a missing one stops the run before input is read. */
  static async open(url: string, gzip: boolean): Promise<S3Sink> {
    await checkBucket(url);
    return new S3Sink(url, gzip, await S3Upload.start(url));
  }

  private constructor(readonly url: string, gzip: boolean, private readonly upload: S3Upload) {
    this.members = gzip ? new GzipMembers(upload.body, (err) => (this.failure ??= err), () => this.failure) : null;
  }

  async write(text: string | Uint8Array): Promise<void> {
    this.check();
    if (this.members) await this.members.write(text);
    else if (!this.upload.body.write(text)) await waitDrain(this.upload.body, () => this.failure);
    this.check();
  }

  async endMember(): Promise<void> {
    this.check();
    await this.members?.endMember();
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
    this.members?.destroy();
    await this.upload.abort();
  }

  private async complete(): Promise<void> {
    this.check();
    // A gzip object's last member, before the upload ends its body.
    await this.members?.end();
    await this.upload.complete();
    this.done = true;
  }

  private check(): void {
    if (this.failure !== undefined) throw this.failure;
    this.upload.check();
  }
}
