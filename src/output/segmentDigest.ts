/**
 * Digests of the bytes a file gained between two moments: a --resume run's progress log (run/resume/progressLog.ts)
 * names each point with them, so that a resumed run can tell the bytes it finds in its files from bytes that never
 * reached the disk.
 */
import { createHash, type Hash } from 'node:crypto';

/** sha1: a checksum here, not a defence against an attacker; with the CPU's SHA instructions ~1 GB/s. */
function newHash(): Hash {
  return createHash('sha1');
}

export function digestOf(bytes: Uint8Array): string {
  return newHash().update(bytes).digest('base64');
}

export const EMPTY_DIGEST = digestOf(new Uint8Array(0));

export class SegmentDigest {
  private hash: Hash = newHash();

  update(bytes: string | Uint8Array): void {
    this.hash.update(bytes);
  }

  /** The digest of the bytes since the last call (or since the start). */
  take(): string {
    const digest = this.hash.digest('base64');
    this.hash = newHash();
    return digest;
  }
}
