/**
 * Bytes as text, one character per byte (latin1 decoding: exact for ASCII), for the short values the byte paths
 * keep per record (ids). Up to eight bytes are one String.fromCharCode call, about a seventh of the cost of
 * Buffer#toString('latin1'), whose argument handling and native call dominate for a few bytes.
 */
const char = String.fromCharCode;

export function latin1Text(b: Uint8Array, from: number, to: number): string {
  switch (to - from) {
    case 0: return '';
    case 1: return char(b[from]);
    case 2: return char(b[from], b[from + 1]);
    case 3: return char(b[from], b[from + 1], b[from + 2]);
    case 4: return char(b[from], b[from + 1], b[from + 2], b[from + 3]);
    case 5: return char(b[from], b[from + 1], b[from + 2], b[from + 3], b[from + 4]);
    case 6: return char(b[from], b[from + 1], b[from + 2], b[from + 3], b[from + 4], b[from + 5]);
    case 7: return char(b[from], b[from + 1], b[from + 2], b[from + 3], b[from + 4], b[from + 5], b[from + 6]);
    case 8: return char(b[from], b[from + 1], b[from + 2], b[from + 3], b[from + 4], b[from + 5], b[from + 6], b[from + 7]);
    default: return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1', from, to);
  }
}

/**
 * Each length has its own byte reads, and V8 deoptimises the function that inlined this one (the CSV hot path) at
 * the first value of a length it has not seen yet: with ids counting up, at the first 5-, 6- and 7-digit id, each
 * time well into the run. Every length is read here first, from both kinds of block, while V8 collects its type
 * feedback.
 */
const samples = [Buffer.alloc(8, 0x30), new Uint8Array(8).fill(0x30)]; // a block read here, and one posted to a worker
for (let round = 0; round < 32; round++) for (const sample of samples) for (let n = 0; n <= 8; n++) latin1Text(sample, 0, n);
