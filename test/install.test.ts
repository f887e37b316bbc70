/**
 * A warning-free install (issue 11, item 1): npm ≥ 11 blocks dependencies' install scripts unless package.json's
 * allowScripts covers them, and `npm ci` ends with a reminder listing those it does not cover; an unknown .npmrc key
 * makes every npm and npx call warn. onnxruntime-node's script would download CUDA libraries on Linux x64.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './helpers.js';

interface Manifest {
  name: string;
  scripts?: Record<string, string>;
  allowScripts?: Record<string, boolean>;
}

const manifest = (dir: string): Manifest => JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as Manifest;

/** Every installed package's directory (scoped and nested ones too). */
function packages(modules: string): string[] {
  if (!existsSync(modules)) return [];
  return readdirSync(modules, { withFileTypes: true }).flatMap((entry) => {
    if (!entry.isDirectory() || entry.name.startsWith('.')) return [];
    const dir = path.join(modules, entry.name);
    if (entry.name.startsWith('@')) return packages(dir);
    return existsSync(path.join(dir, 'package.json')) ? [dir, ...packages(path.join(dir, 'node_modules'))] : [];
  });
}

test("every installed package with an install script is named in allowScripts (onnxruntime-node's denied)", () => {
  const allow = manifest(ROOT).allowScripts ?? {};
  assert.equal(allow['onnxruntime-node'], false, 'its download script never runs');
  const withScripts = new Set(
    packages(path.join(ROOT, 'node_modules'))
      .map(manifest)
      .filter((m) => ['preinstall', 'install', 'postinstall'].some((s) => m.scripts?.[s] !== undefined))
      .map((m) => m.name),
  );
  assert.ok(withScripts.has('onnxruntime-node'), 'the walk finds install scripts');
  assert.deepEqual([...withScripts].filter((name) => !(name in allow)).sort(), [], 'not covered by allowScripts: npm ci would list them');
});

test('no project .npmrc key npm does not know (npm warns about one on every call)', () => {
  const npmrc = path.join(ROOT, '.npmrc');
  if (!existsSync(npmrc)) return;
  assert.doesNotMatch(readFileSync(npmrc, 'utf8'), /onnxruntime/);
});
