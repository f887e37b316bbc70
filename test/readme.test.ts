/**
 * The README is the user's manual: every shell example in it that uses the shipped fixtures runs as written
 * (`npx batch-score` is the built CLI), and the first example's files are what the README shows.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BIN, ROOT, read, workdir } from './helpers.js';

const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8');

/** The commands of every ```sh block: continuation lines joined, a leading `$ ` prompt and comments dropped. */
function shellCommands(markdown: string): string[] {
  const blocks = [...markdown.matchAll(/^```(?:sh|bash|shell)\n([\s\S]*?)^```/gm)].map((m) => m[1]);
  return blocks.flatMap((block) =>
    block
      .replace(/\\\n\s*/g, ' ')
      .split('\n')
      .map((line) => line.replace(/^\$ /, '').replace(/\s+#.*$/, '').trim())
      .filter((line) => line !== '' && !line.startsWith('#')),
  );
}

/** A directory to run examples in: the fixtures where the README expects them, `batch-score` on the PATH. */
function exampleDir(): { cwd: string; env: NodeJS.ProcessEnv } {
  const cwd = workdir();
  symlinkSync(path.join(ROOT, 'fixtures'), path.join(cwd, 'fixtures'));
  const shim = path.join(cwd, 'batch-score');
  writeFileSync(shim, `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} "$@"\n`);
  chmodSync(shim, 0o755);
  return { cwd, env: { ...process.env, NO_COLOR: '1', PATH: `${cwd}:${process.env.PATH}` } };
}

const examples = shellCommands(README).filter((c) => /\bbatch-score\b/.test(c) && c.includes('fixtures/'));

test('the README has runnable examples on the shipped fixtures', () => {
  assert.ok(examples.length >= 1, 'no example uses the shipped fixtures');
});

for (const command of examples) {
  test(`README example runs as written: ${command}`, () => {
    const { cwd, env } = exampleDir();
    const r = spawnSync('sh', ['-c', command.replace(/\bnpx batch-score\b/g, 'batch-score')], { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    // 0: all scored; 3: some records failed, as the fixtures are made to show.
    assert.ok(r.status === 0 || r.status === 3, `exit ${r.status}: ${r.stderr}`);
    assert.doesNotMatch(r.stderr, /error \[/);
  });
}

test('the first example writes the predictions and the sidecar the README shows', () => {
  const first = examples[0];
  assert.match(first, /-o preds\.csv/);
  const { cwd, env } = exampleDir();
  const r = spawnSync('sh', ['-c', first.replace(/\bnpx batch-score\b/g, 'batch-score')], { cwd, env, encoding: 'utf8' });
  assert.equal(r.status, 3, r.stderr);
  const shown = (after: string): string => {
    const at = README.indexOf(after);
    assert.ok(at >= 0, `the README no longer says ${JSON.stringify(after)}`);
    return /```\n([\s\S]*?)```/.exec(README.slice(at))![1];
  };
  assert.equal(read(cwd, 'preds.csv'), shown('`preds.csv` has one row per input record'));
  assert.equal(read(cwd, 'preds.errors.jsonl'), shown('`preds.errors.jsonl` says which records failed'));
});

test('every flag of every command (its --help) is in the README', () => {
  for (const command of [[], ['inspect'], ['profile'], ['serve']]) {
    const r = spawnSync(process.execPath, [BIN, ...command, '--help'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const flags = [...r.stdout.matchAll(/^ {2}(?:-\w, )?(--[a-z-]+)/gm)].map((m) => m[1]);
    assert.ok(flags.length > 5, `flags found in ${command.join(' ') || 'the main'} help`);
    const missing = flags.filter((f) => !new RegExp(`${f}(?![a-z-])`).test(README));
    assert.deepEqual(missing, [], `batch-score ${command.join(' ')} flags not in the README`);
  }
});
