/**
 * A Parquet input in a run: opened from its file, or from standard input spooled to a temporary file first (the
 * footer that says where everything is sits at the end), which is removed when the input is done.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { RunError, oneLine } from '../errors.js';
import { openParquet, type ParquetFile } from './parquetInput.js';
import type { OpenedInput } from './inputCheck.js';

export interface OpenedParquet extends ParquetFile {
  /** Closes the file and removes the spooled copy of standard input, if any. */
  close(): Promise<void>;
}

export async function openParquetInput(input: OpenedInput): Promise<OpenedParquet> {
  const name = input.source.name;
  if (name !== '-') {
    input.source.close(); // read by ranges from the file, not as a stream
    return await openParquet(name, name);
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'batch-score-'));
  const remove = () => rm(dir, { recursive: true, force: true });
  try {
    const file = path.join(dir, 'stdin.parquet');
    await spool(input, file);
    const pf = await openParquet(file, name);
    return { ...pf, close: () => pf.close().finally(remove) };
  } catch (err) {
    await remove();
    throw err;
  }
}

/** Copies the whole input to `file`, waiting for the disk when it is slower than the input. */
async function spool(input: OpenedInput, file: string): Promise<void> {
  const out = createWriteStream(file);
  const failed = once(out, 'error').then(([err]) => {
    throw new RunError('INPUT', `cannot spool standard input to ${file}: ${oneLine(err)}`);
  });
  failed.catch(() => undefined);
  const write = async (piece: Buffer) => {
    if (!out.write(piece)) await Promise.race([once(out, 'drain'), failed]);
  };
  try {
    await write(input.firstPiece);
    for (let r = await input.pieces.next(); !r.done; r = await input.pieces.next()) await write(r.value);
  } finally {
    out.end();
  }
  await Promise.race([once(out, 'close'), failed]);
}
