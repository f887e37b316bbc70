/**
 * The points a --resume run reached since its last checkpoint (issue 17). The journal names a point only once the
 * output and the sidecar are fsynced up to it, at most every second; after a kill -9 (the machine still up) the
 * files hold everything written up to the kill, a second or more beyond it. So after every written block the run
 * also appends the point to this log, unsynced, with a digest of the bytes the block added to each file. A resumed
 * run goes on from the last point whose bytes are in the files as they were written: exact after a kill (nothing
 * written is lost) and after a power loss (a point whose bytes did not reach the disk fails its digest, and an
 * earlier one, at worst the journal's, is taken).
 *
 * Each point also names the boot it was logged in. While the machine has not restarted, every byte a process wrote
 * is in its file, fsynced or not: only a crash of the machine loses written bytes, and that starts a new boot. So a
 * point of this boot is trusted when the files are at least as long as it says (appends land in order), without
 * reading back and digesting the bytes since the journal's point (up to a second of output: ~90 ms of a resumed
 * run's start on the bench's 3M rows); points of another boot, or of a machine without a boot id, are digested.
 */
import { closeSync, constants, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
import type { CheckpointPoint } from './journal.js';
import { digestOf, EMPTY_DIGEST } from '../../output/segmentDigest.js';

/** A point, with digests of the bytes each file gained since the log's previous entry. */
export interface LoggedPoint extends CheckpointPoint {
  outputDigest: string;
  sidecarDigest: string;
  failuresDigest: string;
  /** The boot it was logged in (absent on a machine without a boot id). */
  boot?: string;
}

/** A committed point as the first entry of a log (no bytes before it to digest). */
export function asLogged(point: CheckpointPoint): LoggedPoint {
  return { ...point, outputDigest: EMPTY_DIGEST, sidecarDigest: EMPTY_DIGEST, failuresDigest: EMPTY_DIGEST };
}

let boot: string | null | undefined;

/** This boot of this machine: Linux makes a random id at every boot; null where there is none. */
export function currentBoot(): string | null {
  if (boot === undefined) boot = attempt(() => readFileSync('/proc/sys/kernel/random/boot_id', 'latin1').trim()) || null;
  return boot;
}

/** The files a point names the lengths of, each with its length and digest fields. */
const TRACKED = [
  { file: 'output', bytes: 'outputBytes', digest: 'outputDigest' },
  { file: 'sidecar', bytes: 'sidecarBytes', digest: 'sidecarDigest' },
  { file: 'failures', bytes: 'failuresBytes', digest: 'failuresDigest' },
] as const;

/** Where the tracked files are. */
export type TrackedFiles = Record<(typeof TRACKED)[number]['file'], string>;

/**
 * The log file, rewritten from each committed point on (so that it holds about a second of points, not a whole
 * night's) and appended after every block. Written synchronously, a few hundred bytes per block into the page
 * cache: queued behind the thread pool's reads, writes and fsyncs, the log lagged the output by up to a fifth of a
 * million records, all scored again by the resumed run. A write that fails only means a resumed run starts a little
 * earlier.
 */
export class ProgressLog {
  private fd: number | null;
  /** The committed point and the points after it, in the order reached. */
  private since: LoggedPoint[];
  private readonly boot = currentBoot();

  /** `logged`: the journal's point and the points up to where the run starts (none for a fresh start). */
  constructor(file: string, logged: LoggedPoint[]) {
    this.since = [...logged];
    // Appending (O_APPEND): after the truncation of a rewrite, the next write starts at 0 again.
    const { O_WRONLY, O_CREAT, O_TRUNC, O_APPEND } = constants;
    this.fd = attempt(() => openSync(file, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND)) ?? null;
    this.write(this.since.map(line).join(''));
  }

  append(point: LoggedPoint): void {
    const logged = this.boot === null ? point : { ...point, boot: this.boot };
    this.since.push(logged);
    this.write(line(logged));
  }

  /** `point` is now in the journal: the log starts again from it. */
  committed(point: CheckpointPoint): void {
    const at = this.since.findIndex((p) => p.records === point.records && p.outputBytes === point.outputBytes);
    if (at < 0) return;
    this.since = this.since.slice(at);
    if (this.fd !== null) attempt(() => ftruncateSync(this.fd!, 0));
    this.write(this.since.map(line).join(''));
  }

  /** Closes the log (before a run that ends removes it). */
  close(): void {
    if (this.fd !== null) attempt(() => closeSync(this.fd!));
    this.fd = null;
  }

  private write(text: string): void {
    if (this.fd !== null && text !== '') attempt(() => writeSync(this.fd!, text));
  }
}

/** Runs `f`; a failure is undefined (a log that cannot be written is a log that is not there). */
function attempt<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}

function line(point: LoggedPoint): string {
  return `${JSON.stringify(point)}\n`;
}

/**
 * The logged points from `committed` to the furthest one whose bytes the files hold as written: the log's points
 * after the committed one are checked in order, and the first that does not match (short files, other bytes, a
 * torn last line) ends the walk. A point of this boot needs only the files' lengths; the others' bytes are read
 * back and digested.
 */
export async function furthestWritten(file: string, committed: CheckpointPoint, files: TrackedFiles): Promise<LoggedPoint[]> {
  const walked = [asLogged(committed)];
  const points = await readPoints(file);
  const at = points.findIndex((p) => TRACKED.every((t) => p[t.bytes] === committed[t.bytes]) && p.records === committed.records);
  const after = at < 0 ? [] : points.slice(at + 1);
  if (after.length === 0) return walked;
  const thisBoot = currentBoot();
  const trusted = (p: LoggedPoint) => thisBoot !== null && p.boot === thisBoot;
  const sizes = await Promise.all(TRACKED.map((t) => sizeOf(files[t.file])));
  const last = after[after.length - 1]!;
  const bytes = after.every(trusted) ? null : await Promise.all(TRACKED.map((t) => bytesBetween(files[t.file], committed[t.bytes], last[t.bytes])));
  let reached: CheckpointPoint = committed;
  for (const p of after) {
    const matches = TRACKED.every((t, i) => {
      if (p[t.bytes] > sizes[i]!) return false;
      if (trusted(p)) return true;
      const added = segment(bytes![i]!, committed[t.bytes], reached[t.bytes], p[t.bytes]);
      return added !== null && digestOf(added) === p[t.digest];
    });
    if (!matches) break;
    walked.push(p);
    reached = p;
  }
  return walked;
}

async function sizeOf(file: string): Promise<number> {
  return stat(file).then((s) => s.size, () => 0);
}

async function readPoints(file: string): Promise<LoggedPoint[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const points: LoggedPoint[] = [];
  for (const l of text.split('\n')) {
    try {
      points.push(JSON.parse(l) as LoggedPoint);
    } catch {
      break; // a torn last line, or the end
    }
  }
  return points;
}

/** The bytes of `file` from `from` up to at most `to` (fewer when the file is shorter). */
async function bytesBetween(file: string, from: number, to: number): Promise<Buffer> {
  if (to <= from) return Buffer.alloc(0);
  const handle = await open(file, 'r').catch(() => null);
  if (handle === null) return Buffer.alloc(0);
  try {
    const buffer = Buffer.alloc(to - from);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, from);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** The bytes between two lengths of a file, out of `bytes` (which start at `base`); null when they are not all there. */
function segment(bytes: Buffer, base: number, from: number, to: number): Buffer | null {
  if (to < from || to - base > bytes.length) return null;
  return bytes.subarray(from - base, to - base);
}
