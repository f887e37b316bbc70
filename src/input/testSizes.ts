/**
 * Sizes that tests may shrink through the environment (a testing aid, not a user setting: no flag, no help).
 * With blocks of ~256 KiB and 1 MiB reads, a small test input is one read and one block, so the boundaries between
 * blocks and between reads — where records are cut, CRLF is split, a long record makes the reader fall back to
 * text, workers take over from the main thread — would need megabytes of input to reach. test/everyPath.test.ts
 * sets tiny sizes to reach them with inputs of a few lines.
 */

/** The positive whole number in environment variable `name`, else `normal` (unset or anything else). */
export function sizeFromEnv(name: string, normal: number): number {
  const n = Number(process.env[name]);
  return Number.isSafeInteger(n) && n > 0 ? n : normal;
}
