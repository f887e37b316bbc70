/** CI runs a small smoke of the benchmark so it keeps working; figures come from `npm run bench`, not from tests. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { ROOT } from './helpers.js';

test('the benchmark runs end to end on a few thousand rows', () => {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bench', 'run.mjs'), '--smoke'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /batch-score CSV→CSV/);
  assert.match(r.stdout, /byte-identical across settings: yes/);
  assert.match(r.stdout, /\| batch-score profile \(CSV in, profile out\) \| \d/);
  assert.match(r.stdout, /\| batch-score CSV→CSV --baseline --drift report\.html \| \d/);
});
