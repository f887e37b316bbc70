/**
 * Where output text goes. A regular file appears at its path complete or not at all: text is written to a
 * temporary file in the same directory (so the rename is atomic, never across file systems) and renamed on commit;
 * on abort the temporary file is removed and an older file at the path is left untouched. Anything else (standard
 * output, a device, a FIFO) is written in place (outputPaths.ts decides which).
 */
import { createReadStream, createWriteStream, fsync, type WriteStream } from 'node:fs';
import { rm, stat, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { besideName, commitTogether, liveTemporaryFiles, outputError, type CommitStep } from './commit.js';
import { checkBucket, isS3Url, putObject } from '../storage/s3.js';
import { EMPTY_DIGEST, SegmentDigest } from './segmentDigest.js';
import { GzipMembers } from './gzipMembers.js';

export interface Sink {
  write(text: string | Uint8Array): Promise<void>;
  /**
   * After a block of records, where a --resume checkpoint can fall: a gzip output ends its member there (see
   * gzipMembers.ts); a plain one has nothing to do.
   */
  endMember?(): Promise<void>;
  /** Finishes the output (renames a file into place). */
  commit(): Promise<void>;
  /** Drops the output (removes a temporary file). Safe to call more than once. */
  abort(): Promise<void>;
}

/**
 * With the default 16 KiB buffer the runner waited for the disk after nearly every batch (~250 ms idle per 1M
 * rows in one thread); 1 MiB lets writes overlap scoring (measured: --workers 0, 1.70 s → 1.51 s, medians of 10).
 */
const WRITE_BUFFER_BYTES = 1 << 20;

/** Temporary files not yet committed (and lock files held), removed on a second signal. */
export function temporaryFiles(): ReadonlySet<string> {
  return liveTemporaryFiles();
}

/** Thrown when the reader of standard output went away (`| head -1`): the run ends quietly. */
export class BrokenPipe extends Error {
  constructor() {
    super('standard output closed');
  }
}

/**
 * A write stream on a file, gzip-compressed (in members, see gzipMembers.ts) or not, remembering its first error.
 * `onBytes` is told every byte handed to the file (compressed, for gzip), in order.
 */
class FileStream {
  readonly file: WriteStream;
  private readonly members: GzipMembers | null;
  failure: unknown;

  constructor(pathname: string, flags: string, gzip: boolean, private readonly onBytes?: (bytes: string | Uint8Array) => void) {
    this.file = createWriteStream(pathname, { flags, highWaterMark: WRITE_BUFFER_BYTES });
    this.file.on('error', (err) => (this.failure ??= err));
    this.members = gzip ? new GzipMembers(this.file, (err) => (this.failure ??= err), () => this.failure, onBytes) : null;
  }

  /** Resolves once the file is open (a FIFO opens when a reader comes) or has failed to open. */
  async opened(): Promise<void> {
    await Promise.race([once(this.file, 'open'), once(this.file, 'error')]).catch(() => undefined);
  }

  /** Writes; with `flush`, resolves only once the bytes are handed to the kernel (not held in this process). */
  async write(text: string | Uint8Array, flush = false): Promise<void> {
    if (this.members) return this.members.write(text);
    this.onBytes?.(text);
    if (flush) {
      await new Promise<void>((resolve) => this.file.write(text, () => resolve()));
      return;
    }
    if (!this.file.write(text)) await waitDrain(this.file, () => this.failure);
  }

  /** A gzip file's member ends here (a place a checkpoint can name); nothing for a plain file. */
  async endMember(): Promise<void> {
    await this.members?.endMember();
  }

  /**
   * Everything written so far handed to the kernel and fsynced (a checkpoint's output is on disk before its
   * journal says so).
   */
  async sync(): Promise<void> {
    await new Promise<void>((resolve) => this.file.write(Buffer.alloc(0), () => resolve()));
    if (this.failure === undefined) await promisify(fsync)((this.file as unknown as { fd: number }).fd).catch((err) => (this.failure ??= err));
  }

  /** Ends (a gzip file's last member first) and waits for the file to close (at once when an error has closed it). */
  async end(): Promise<void> {
    if (this.file.closed) return;
    const closed = once(this.file, 'close').catch(() => undefined);
    if (this.file.destroyed) {
      this.members?.destroy();
      this.file.destroy();
    } else {
      await this.members?.end();
      this.file.end();
    }
    await closed;
  }

  destroy(): void {
    this.members?.destroy();
    this.file.destroy();
  }
}

/**
 * A regular file replaced atomically: text goes to a temporary file beside it, renamed into place on commit
 * (with the other files of the run, see commit.ts). An `s3://` target (a sidecar, a summary: small, and a
 * sidecar may have to go to another key, see Sidecar.keepAborted) is spooled to a temporary file in $TMPDIR and
 * uploaded on commit.
 */
export class AtomicFileSink implements Sink {
  readonly temp: string;
  private readonly out: FileStream;
  private done = false;

  /** Opens the temporary file now, so that an unwritable output stops the run before any input is read. */
  static async open(target: string, gzip = false, shown = target): Promise<AtomicFileSink> {
    if (isS3Url(target)) await checkBucket(target);
    const sink = new AtomicFileSink(target, shown, gzip);
    await sink.out.opened();
    if (sink.out.failure !== undefined) {
      liveTemporaryFiles().delete(sink.temp);
      sink.done = true;
    }
    sink.check();
    return sink;
  }

  /**
   * A resumable output (--resume): the temporary file has a stable name, given by the checkpoint, and is kept when
   * the run stops; `from` bytes of it (the last checkpoint's) are kept and the rest cut off, or it starts empty.
   */
  static async resumable(target: string, shown: string, temp: string, from: number, gzip = false): Promise<AtomicFileSink> {
    // Cut back only when longer: a complete file kept as it is stays untouched (its modification time too).
    const longer = from > 0 && (await stat(temp).then((s) => s.size > from, () => true));
    if (longer) await truncate(temp, from).catch((err) => Promise.reject(outputError(shown, err)));
    const sink = new AtomicFileSink(target, shown, gzip, { temp, flags: from > 0 ? 'a' : 'w', from });
    await sink.out.opened();
    sink.check();
    return sink;
  }

  private readonly keep: boolean;
  private readonly from: number;
  /** A resumable file's bytes since the last point offered (the progress log names each point with their digest). */
  private readonly segment: SegmentDigest | null;
  /** Bytes handed to the file (compressed, for gzip): its length once they are flushed. */
  private accepted = 0;

  private constructor(readonly target: string, readonly shown: string, gzip: boolean, resume?: { temp: string; flags: string; from: number }) {
    this.temp = resume?.temp ?? besideName(isS3Url(target) ? path.join(tmpdir(), 'batch-score-spool') : target, 'tmp');
    this.keep = resume !== undefined;
    this.from = resume?.from ?? 0;
    this.segment = this.keep ? new SegmentDigest() : null;
    if (!this.keep) liveTemporaryFiles().add(this.temp);
    this.out = new FileStream(this.temp, resume?.flags ?? 'wx', gzip, (bytes) => {
      this.accepted += typeof bytes === 'string' ? Buffer.byteLength(bytes) : bytes.length;
      this.segment?.update(bytes);
    });
  }

  /** The file's length once everything written so far is flushed (a resumable file's kept bytes included). */
  get length(): number {
    return this.from + this.accepted;
  }

  /** Everything written so far on disk (fsynced): a checkpoint names no byte that is not. */
  async sync(): Promise<void> {
    this.check();
    await this.out.sync();
    this.check();
  }

  /** The digest of the bytes written since the last call (a file that is not resumable keeps none). */
  takeDigest(): string {
    return this.segment?.take() ?? EMPTY_DIGEST;
  }

  async write(text: string | Uint8Array): Promise<void> {
    this.check();
    await this.out.write(text);
    this.check();
  }

  /** A gzip file's member ends here: after a block, where a checkpoint can fall (see gzipMembers.ts). */
  async endMember(): Promise<void> {
    this.check();
    await this.out.endMember();
    this.check();
  }

  /** Finishes the temporary file (every write error surfaces here) and says how to commit it. */
  async finish(target = this.target, shown = this.shown): Promise<CommitStep> {
    this.check();
    await this.out.end();
    this.check();
    if (!isS3Url(target)) return { temp: this.temp, target, shown };
    const remote = async (): Promise<void> => {
      await putObject(target, createReadStream(this.temp));
      await rm(this.temp, { force: true });
    };
    return { temp: null, target, shown, remote };
  }

  /** Finishes and renames into place, alone (or at `target`, e.g. an aborted run's sidecar). */
  async commit(target = this.target, shown = this.shown): Promise<void> {
    await commitTogether([await this.finish(target, shown)]);
    this.committed();
  }

  /** After commitTogether has renamed the temporary file. */
  committed(): void {
    liveTemporaryFiles().delete(this.temp);
    this.done = true;
  }

  /** Drops the temporary file — or, resumable, closes it and keeps it for the next run. */
  async abort(): Promise<void> {
    if (this.done) return;
    this.done = true;
    if (this.keep) return this.out.end().catch(() => undefined);
    this.out.destroy();
    await rm(this.temp, { force: true });
    liveTemporaryFiles().delete(this.temp);
  }

  private check(): void {
    if (this.out.failure !== undefined) throw outputError(this.shown, this.out.failure);
  }
}

/**
 * A file written in place: a device, a FIFO, /dev/stdout, or a streamed sidecar. Never renamed over or removed;
 * what was written stays written, also when the run fails.
 */
export class InPlaceSink implements Sink {
  private readonly out: FileStream;

  /** `append` (devices, FIFOs, descriptors: never truncate what the shell opened), or `truncate` (a streamed sidecar). */
  static async open(pathname: string, shown: string, mode: 'append' | 'truncate', opts: { gzip?: boolean; flushEach?: boolean } = {}): Promise<InPlaceSink> {
    const sink = new InPlaceSink(pathname, shown, mode === 'append' ? 'a' : 'w', opts.gzip === true, opts.flushEach === true);
    await sink.out.opened();
    sink.check();
    return sink;
  }

  private constructor(pathname: string, readonly shown: string, flags: string, gzip: boolean, private readonly flushEach: boolean) {
    this.out = new FileStream(pathname, flags, gzip);
  }

  async write(text: string | Uint8Array): Promise<void> {
    this.check();
    await this.out.write(text, this.flushEach);
    this.check();
  }

  async endMember(): Promise<void> {
    this.check();
    await this.out.endMember();
    this.check();
  }

  async commit(): Promise<void> {
    this.check();
    await this.out.end();
    this.check();
  }

  /** Closes; what was written stays. */
  async abort(): Promise<void> {
    await this.out.end().catch(() => undefined);
  }

  private check(): void {
    if (this.out.failure !== undefined) throw outputError(this.shown, this.out.failure);
  }
}

export class StdoutSink implements Sink {
  private failure: unknown;

  constructor(private readonly out: NodeJS.WriteStream = process.stdout) {
    out.on('error', (err) => (this.failure ??= err));
  }

  async write(text: string | Uint8Array): Promise<void> {
    this.check();
    if (!this.out.write(text)) await waitDrain(this.out, () => this.failure);
    this.check();
  }

  async commit(): Promise<void> {
    this.check();
  }

  async abort(): Promise<void> {}

  private check(): void {
    if (this.failure === undefined) return;
    if ((this.failure as NodeJS.ErrnoException).code === 'EPIPE') throw new BrokenPipe();
    throw outputError('standard output', this.failure);
  }
}

export async function waitDrain(stream: Writable, failed: () => unknown): Promise<void> {
  if (failed() !== undefined) return;
  await new Promise<void>((resolve) => {
    const done = () => {
      stream.off('drain', done);
      stream.off('error', done);
      stream.off('close', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('error', done);
    stream.on('close', done);
  });
}
