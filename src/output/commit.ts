/**
 * Committing several files together (issue 10): an output, its sidecar and the summary appear together or not
 * at all. rename(2) is atomic for one file only, so each commit backs up the files it replaces (a hard link, or a
 * copy where links are not supported), renames every new file into place, and on any failure puts the old files
 * back. A lock file per target keeps two runs from interleaving their commits (one's output beside the other's
 * sidecar).
 */
import { constants } from 'node:fs';
import { copyFile, link, lstat, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { RunError, oneLine } from '../errors.js';
import { deleteObject, isS3Url } from '../storage/s3.js';

/**
 * Replace `target` with `temp`, or remove `target` (a stale sidecar) when `temp` is null. An `s3://` target is
 * committed by `remote` (completing its upload), or removed when there is none.
 */
export interface CommitStep {
  temp: string | null;
  target: string;
  /** The path as the user gave it, for messages. */
  shown: string;
  remote?: () => Promise<void>;
}

/** Files to remove on a second signal (temporaries, lock files). */
const liveFiles = new Set<string>();
export function liveTemporaryFiles(): Set<string> {
  return liveFiles;
}

/** A name beside `target` that no other file has: `.<name>.<pid>.<random>.<suffix>`. */
export function besideName(target: string, suffix: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.${suffix}`);
}

/** How long a commit waits for another run's commit of the same file (commits take milliseconds). */
const COMMIT_LOCK_WAIT_MS = 30_000;

export async function commitTogether(all: CommitStep[]): Promise<void> {
  // Objects first: each appears whole when its upload completes, but none can be put back once completed, so they
  // go before the files, which can (a failed upload then leaves every file as it was).
  for (const step of all.filter((s) => isS3Url(s.target))) await (step.remote ? step.remote() : deleteObject(step.target));
  const steps = all.filter((s) => !isS3Url(s.target));
  const locks: Lock[] = [];
  try {
    // Always in the same order, so two runs committing overlapping sets cannot wait for each other forever.
    for (const step of [...steps].sort((a, b) => (a.target < b.target ? -1 : 1))) {
      locks.push(await acquireLock(step.target, step.shown, COMMIT_LOCK_WAIT_MS));
    }
    await replaceAll(steps);
  } finally {
    for (const l of locks.reverse()) await l.release();
  }
}

async function replaceAll(steps: CommitStep[]): Promise<void> {
  const backups = new Map<string, string>();
  const done: CommitStep[] = [];
  try {
    // A single file needs no backup: if its rename fails, nothing has changed.
    if (steps.length > 1) for (const s of steps) await backUp(s, backups);
    for (const s of steps) {
      try {
        if (s.temp === null) await rm(s.target, { force: true });
        else await rename(s.temp, s.target);
      } catch (err) {
        throw outputError(s.shown, err);
      }
      done.push(s);
    }
  } catch (err) {
    for (const s of done.reverse()) {
      const old = backups.get(s.target);
      await (old ? rename(old, s.target) : rm(s.target, { force: true })).catch(() => undefined);
    }
    throw err;
  } finally {
    for (const b of backups.values()) await rm(b, { force: true });
  }
}

async function backUp(step: CommitStep, backups: Map<string, string>): Promise<void> {
  try {
    if (!(await lstat(step.target)).isFile()) return;
  } catch {
    return; // nothing there to keep
  }
  const copy = besideName(step.target, 'bak');
  try {
    await link(step.target, copy);
  } catch {
    try {
      await copyFile(step.target, copy, constants.COPYFILE_EXCL);
    } catch (err) {
      throw outputError(step.shown, err);
    }
  }
  backups.set(step.target, copy);
}

export interface Lock {
  release(): Promise<void>;
}

/**
 * Takes `.<name>.lock` beside `target`, holding this process's id; waits up to `waitMs` for a live holder, and
 * removes the lock of a process that no longer exists (killed with -9). Written by hand rather than with a lock
 * library: those decide staleness by the lock's age, which a long streaming run holding its sidecar would
 * outlive; the holder's process id says it exactly on one machine.
 */
export async function acquireLock(target: string, shown: string, waitMs: number): Promise<Lock> {
  const file = path.join(path.dirname(target), `.${path.basename(target)}.lock`);
  const started = Date.now();
  for (;;) {
    try {
      await writeFile(file, `${process.pid}\n`, { flag: 'wx' });
      liveFiles.add(file);
      return {
        release: async () => {
          liveFiles.delete(file);
          await rm(file, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw outputError(shown, err);
    }
    const holder = await liveHolder(file);
    if (holder === null) continue;
    if (Date.now() - started >= waitMs) {
      throw new RunError('OUTPUT', `cannot write ${shown}: another batch-score run (pid ${holder}) is writing it; give this run another path, or remove ${file} if no such run exists`);
    }
    await delay(25);
  }
}

/** The live process holding a lock file, or null after removing the lock of a dead one. */
async function liveHolder(file: string): Promise<number | string | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return null; // released meanwhile
  }
  const pid = Number.parseInt(text, 10);
  if (!Number.isSafeInteger(pid)) return '?'; // just created, its id not yet written
  try {
    process.kill(pid, 0);
    return pid;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EPERM') return pid; // alive, another user's
  }
  await rm(file, { force: true });
  return null;
}

export function outputError(target: string, err: unknown): RunError {
  if (err instanceof RunError) return err;
  const code = (err as NodeJS.ErrnoException).code;
  const reasons: Record<string, string> = {
    ENOENT: 'the directory does not exist',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    EROFS: 'read-only file system',
    ENOSPC: 'no space left on device',
    EISDIR: 'it is a directory',
    ENOTDIR: 'a part of the path is not a directory',
  };
  const reason = (code && reasons[code]) ?? oneLine(err);
  return new RunError('OUTPUT', `cannot write ${target}: ${reason}`, { cause: err });
}
