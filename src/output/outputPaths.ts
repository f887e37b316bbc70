/**
 * What each output path is, decided before anything is read (issue 10):
 * - a regular file (or nothing yet) is replaced atomically; a symlink to one is resolved and its target replaced
 *   (the link stays);
 * - anything else — standard output, a device (/dev/null, /dev/full), a FIFO, /dev/stdout, /dev/fd/N (a process
 *   substitution) — is opened and written in place, never renamed over or removed;
 * - a directory, or a path ending in `/`, is an error;
 * - no output may be an input, the model, or another output, compared by the file's identity (device + inode,
 *   symlinks followed), not by its name.
 */
import { fstatSync, lstatSync, readlinkSync, realpathSync, statSync, type Stats } from 'node:fs';
import path from 'node:path';
import { RunError } from '../errors.js';
import { outputError } from './commit.js';
import { isS3Url, parseS3Url } from '../storage/s3.js';
import type { OutputTarget } from '../options.js';


/** Names of an open descriptor: their target must be written through the descriptor, whatever it is. */
const FD_ALIAS = /^\/(dev\/(stdin|stdout|stderr|fd\/\d+)|proc\/(self|thread-self|\d+)\/fd\/\d+)$/;

export function outputTarget(shown: string): OutputTarget {
  if (shown === '-') return { shown, path: null, inPlace: true };
  if (shown.endsWith('/')) throw new RunError('OUTPUT', `cannot write ${shown}: a path ending in / names a directory; give a file name`);
  if (isS3Url(shown)) {
    if (parseS3Url(shown).key === '') throw new RunError('OUTPUT', `cannot write ${shown}: give an object key (s3://bucket/key)`);
    return { shown, path: shown, inPlace: false }; // an object: written by an upload completed on commit
  }
  if (FD_ALIAS.test(path.resolve(shown))) return { shown, path: shown, inPlace: true };
  let st: Stats;
  try {
    st = statSync(shown);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw outputError(shown, err);
    const target = danglingTarget(shown);
    checkDirectory(shown, path.dirname(target));
    return { shown, path: target, inPlace: false };
  }
  if (st.isDirectory()) throw new RunError('OUTPUT', `cannot write ${shown}: it is a directory`);
  if (!st.isFile()) return { shown, path: shown, inPlace: true };
  return { shown, path: realpathSync(shown), inPlace: false };
}

/** A path that does not exist yet: itself, or where a dangling symlink points (the link then stays). */
function danglingTarget(p: string, depth = 0): string {
  try {
    if (depth < 40 && lstatSync(p).isSymbolicLink()) return danglingTarget(path.resolve(path.dirname(p), readlinkSync(p)), depth + 1);
  } catch {
    // not there at all
  }
  return p;
}

function checkDirectory(shown: string, dir: string): void {
  let st: Stats;
  try {
    st = statSync(dir);
  } catch (err) {
    throw outputError(shown, err);
  }
  if (!st.isDirectory()) throw new RunError('OUTPUT', `cannot write ${shown}: ${dir} is not a directory`);
}

/**
 * An output that is another file of the run. A run refused so writes nothing at all, not even its summary: the
 * summary's path may be the very file in question (with --output-dir the outputs' names are known only once the
 * inputs' formats are).
 */
export class SameFileError extends RunError {
  constructor(message: string) {
    super('USAGE', message);
  }
}

/** A file named on the command line, for the identity check. */
export interface NamedFile {
  /** How to name it in a message: `-o x.csv`, `--errors in.csv`, `input in.csv`. */
  label: string;
  /** Standard input/output (`-`) or a path. */
  name: string;
  role: 'input' | 'model' | 'output';
}

/**
 * Refuses (USAGE, exit 2) an output that is the same file as an input, the model or another output. Two outputs
 * may share a character device only (/dev/null, a terminal), where nothing is replaced and nothing is lost.
 */
export function checkDistinct(files: NamedFile[]): void {
  const ids = files.map((f) => identities(f));
  for (let i = 0; i < files.length; i++) {
    for (let j = i + 1; j < files.length; j++) {
      if (files[i].role !== 'output' && files[j].role !== 'output') continue;
      const shared = ids[i].keys.find((k) => ids[j].keys.includes(k));
      if (shared === undefined || mayShare(files[i], files[j], ids[i])) continue;
      throw new SameFileError(`${files[j].label} is the same file as ${files[i].label}; every output needs a file of its own`);
    }
  }
}

/** Two outputs on one character device, unless both are `-` (predictions and sidecar interleaved on stdout). */
function mayShare(a: NamedFile, b: NamedFile, id: Identity): boolean {
  return a.role === 'output' && b.role === 'output' && id.charDevice && !(a.name === '-' && b.name === '-');
}

interface Identity {
  keys: string[];
  charDevice: boolean;
}

function identities(f: NamedFile): Identity {
  if (isS3Url(f.name)) return { keys: [f.name], charDevice: false };
  if (f.name === '-') {
    const fd = f.role === 'output' ? 1 : 0;
    const st = tryStat(() => fstatSync(fd));
    return { keys: [f.role === 'output' ? 'stdout' : 'stdin', ...(st ? [fileKey(st)] : [])], charDevice: st?.isCharacterDevice() ?? false };
  }
  const st = tryStat(() => statSync(f.name));
  if (st) return { keys: [fileKey(st)], charDevice: st.isCharacterDevice() };
  // Not there yet: two such outputs are the same file when they resolve to the same place.
  const target = danglingTarget(f.name);
  const dir = tryReal(path.dirname(target));
  return { keys: [`path:${path.join(dir, path.basename(target))}`], charDevice: false };
}

function fileKey(st: Stats): string {
  return `inode:${st.dev}:${st.ino}`;
}

function tryStat(get: () => Stats): Stats | null {
  try {
    return get();
  } catch {
    return null;
  }
}

function tryReal(dir: string): string {
  try {
    return realpathSync(dir);
  } catch {
    return path.resolve(dir);
  }
}
