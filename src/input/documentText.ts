/** A whole JSON document's text, read at once (the document adapter parses it whole; it is never cut into records). */
import { constants } from 'node:buffer';
import { getHeapStatistics } from 'node:v8';
import { RunError } from '../errors.js';

/**
 * The most bytes read as one JSON document. Parsed, a document takes 13–24× its size in memory (measured RSS
 * growth: 14 MB of `{"inputs": [[4 decimals], …]}` +180 MB, 7 MB of short records `[i,0.5,-2,1]` +166 MB), so
 * with room for the collector, beyond 1/48 of the heap limit the process would die of an out-of-memory abort
 * instead of saying why; and no text may exceed V8's string length limit (~512 MiB).
 */
export function maxDocumentBytes(): number {
  return Math.min(constants.MAX_STRING_LENGTH, Math.floor(getHeapStatistics().heap_size_limit / 48));
}

/** A whole document's text, or an INPUT error naming the remedy when it cannot be held in memory. */
export async function readDocumentText(name: string, first: Buffer, pieces: AsyncIterator<Buffer>): Promise<string> {
  const limit = maxDocumentBytes();
  const all = [first];
  let bytes = first.length;
  const tooLarge = () =>
    new RunError('INPUT', `${name} is too large to read as one JSON document (over ${Math.floor(limit / 2 ** 20)} MiB); write it as JSONL, one record per line (e.g. jq -c '.inputs[]'), which is read as a stream`);
  for (let r = await pieces.next(); !r.done && bytes <= limit; r = await pieces.next()) {
    all.push(r.value);
    bytes += r.value.length;
  }
  if (bytes > limit) throw tooLarge();
  return new TextDecoder('utf-8', { ignoreBOM: true }).decode(Buffer.concat(all));
}
