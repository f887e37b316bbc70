import { open } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import zlib from 'node:zlib';
const f = '/tmp/eng/ck/k3m.csv.resume.partial';
for (let i = 0; i < 4; i++) {
  let t = performance.now();
  const h = await open(f, 'r'); const b = Buffer.alloc(15890176); const { bytesRead } = await h.read(b, 0, b.length, 15925568); await h.close();
  const tr = performance.now() - t; t = performance.now();
  const u = Buffer.allocUnsafe(15890176); const h2 = await open(f, 'r'); await h2.read(u, 0, u.length, 15925568); await h2.close();
  const tu = performance.now() - t; t = performance.now();
  let n = 0; for (let k = 0; k < b.length; k += 36000) { createHash('sha1').update(b.subarray(k, k + 36000)).digest('base64'); n++; }
  const th = performance.now() - t; t = performance.now();
  for (let k = 0; k < b.length; k += 36000) zlib.crc32(b.subarray(k, k + 36000));
  const tc = performance.now() - t;
  console.log(`read(alloc) ${tr.toFixed(1)} read(unsafe) ${tu.toFixed(1)} sha1 x${n} ${th.toFixed(1)} crc32 ${tc.toFixed(1)} ms`);
}
