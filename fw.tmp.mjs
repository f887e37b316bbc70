import { furthestWritten } from './dist/src/run/resume/progressLog.js';
import { readFileSync } from 'node:fs';
const j = JSON.parse(readFileSync('/tmp/eng/ck/k3m.csv.resume.json', 'utf8'));
const files = { output: '/tmp/eng/ck/k3m.csv.resume.partial', sidecar: '/tmp/eng/ck/k3m.errors.jsonl.resume.partial', failures: '/tmp/eng/ck/k3m.csv.resume.failures' };
for (let i = 0; i < 3; i++) {
  const t = performance.now();
  const p = await furthestWritten('/tmp/eng/ck/k3m.csv.resume.log', j.point, files);
  console.log((performance.now() - t).toFixed(1), 'ms', j.point.outputBytes, '->', p.outputBytes, p.records);
}
