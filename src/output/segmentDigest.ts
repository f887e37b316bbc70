/**
 * Digests of the bytes a file gained between two moments: a --resume run's progress log (run/resume/progressLog.ts)
 * names each point with them, so that a resumed run can tell the bytes it finds in its files from bytes that never
 * reached the disk.
 *
 * CRC-32 (zlib's, node:zlib crc32): a checksum against a power loss's missing or zeroed bytes, not against an
 * attacker, computed on the main thread for every byte a --resume run writes. sha1 cost ~18 ms of the main thread per
 * 1.2M bench rows (2% of it, where the main thread is the run's bottleneck) and CRC-32 about a quarter of that.
 */
import { crc32 } from 'node:zlib';

const text = (crc: number): string => crc.toString(16).padStart(8, '0');

export function digestOf(bytes: Uint8Array): string {
  return text(crc32(bytes));
}

export const EMPTY_DIGEST = digestOf(new Uint8Array(0));

export class SegmentDigest {
  private crc = 0;

  update(bytes: string | Uint8Array): void {
    this.crc = crc32(bytes, this.crc);
  }

  /** The digest of the bytes since the last call (or since the start). */
  take(): string {
    const digest = text(this.crc);
    this.crc = 0;
    return digest;
  }
}
