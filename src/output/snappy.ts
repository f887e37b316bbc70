/**
 * Snappy for Parquet pages: the native binding (the `snappy` package, a prebuilt binary for each platform) where
 * this platform has one, else hyparquet-writer's JS snappy. On a column of ids the native one is about nine times
 * faster (the README's design notes give the measurement); both write the raw format Parquet reads.
 */
import { createRequire } from 'node:module';
import { snappyCompress as jsSnappy } from 'hyparquet-writer/src/snappy.js';

type Compress = (input: Uint8Array) => Uint8Array;

function nativeSnappy(): Compress | null {
  try {
    const { compressSync } = createRequire(import.meta.url)('snappy') as typeof import('snappy');
    return (input) => compressSync(input);
  } catch {
    return null; // no prebuilt binary for this platform
  }
}

export const snappyCompress: Compress = nativeSnappy() ?? jsSnappy;

/** The JS compressor, for tests that check both write the same format. */
export const jsSnappyCompress: Compress = jsSnappy;
