/**
 * A Parquet file starts (and ends) with the magic bytes `PAR1`. Apart from parquetInput.ts, so that telling a
 * format from its first bytes does not load the Parquet reader's modules (loaded only when Parquet is read).
 */
export function isParquetMagic(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x41 && bytes[2] === 0x52 && bytes[3] === 0x31;
}
