/**
 * commitTogether: the files of one commit all replace their targets, or none does (property test over which
 * targets exist, which are removals, and which rename fails).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { commitTogether, type CommitStep } from '../src/output/commit.js';
import { workdir } from './helpers.js';

const step = fc.record({ existed: fc.boolean(), remove: fc.boolean() });

test('commitTogether: every file replaced, or (when one rename fails) every older file as it was', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 4 }), fc.option(fc.nat(3)), async (steps, failAt) => {
      const dir = workdir();
      const failing = failAt !== null && failAt < steps.length && !steps[failAt].remove ? failAt : null;
      const plan: CommitStep[] = steps.map((s, i) => {
        const target = path.join(dir, `f${i}`);
        if (s.existed) writeFileSync(target, `old ${i}`);
        if (i === failing) {
          rmSync(target, { force: true });
          mkdirSync(path.join(target, 'full'), { recursive: true }); // a non-empty directory: rename(file, it) fails
        }
        if (s.remove) return { temp: null, target, shown: `f${i}` };
        writeFileSync(path.join(dir, `t${i}`), `new ${i}`);
        return { temp: path.join(dir, `t${i}`), target, shown: `f${i}` };
      });
      let failed = false;
      await commitTogether(plan).catch(() => (failed = true));
      assert.equal(failed, failing !== null);
      steps.forEach((s, i) => {
        if (i === failing) return;
        const target = path.join(dir, `f${i}`);
        const expected = failed ? (s.existed ? `old ${i}` : null) : s.remove ? null : `new ${i}`;
        assert.equal(existsSync(target) ? readFileSync(target, 'utf8') : null, expected, `f${i}`);
      });
      assert.deepEqual(readdirSync(dir).filter((f) => /\.(bak|lock)$/.test(f)), []);
      rmSync(dir, { recursive: true, force: true });
    }),
    { numRuns: 60 },
  );
});
