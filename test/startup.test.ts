/**
 * Start-up: a run loads the modules of the features it uses, not of every feature batch-score has. The AWS SDK, the
 * Parquet reader and writer and the HTTP server's modules cost a few tenths of a second of every start (and of
 * every worker's) when loaded eagerly; they are loaded on first use. So are, on a smaller scale, the monitor's
 * modules (a run without --baseline, --challenger or profile), chalk and cli-progress (only on a terminal) and
 * the inspect command's. A module-resolution hook (node:module's
 * register) lists the packages a run resolves.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ROOT, model, runCli, workdir } from './helpers.js';

const HOOKS = `export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  const m = resolved.url.match(/node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//);
  if (m) process.stderr.write('[package] ' + m[1] + '\\n');
  const own = resolved.url.match(/\\/dist\\/src\\/(.+)\\.js$/);
  if (own) process.stderr.write('[module] ' + own[1] + '\\n');
  return resolved;
}
`;

/** The packages and the project's modules a run of `args` resolves (in the main thread), and its exit code. */
async function packagesOf(args: string[], files: Record<string, string | Buffer> = {}): Promise<{ code: number | null; packages: Set<string>; modules: Set<string> }> {
  const dir = workdir({ ...files, 'hooks.mjs': HOOKS, 'register.mjs': "import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n" });
  const r = await runCli(args, { cwd: dir, env: { NODE_OPTIONS: `--import=${path.join(dir, 'register.mjs')}` } });
  const packages = new Set([...r.stderr.matchAll(/^\[package\] (\S+)$/gm)].map((m) => m[1]!));
  const modules = new Set([...r.stderr.matchAll(/^\[module\] (\S+)$/gm)].map((m) => m[1]!));
  return { code: r.code, packages, modules };
}

const UNUSED = ['@aws-sdk/client-s3', '@aws-sdk/lib-storage', 'hyparquet', 'hyparquet-writer', 'hyparquet-compressors', 'fastify', 'prom-client'];

test('a CSV run loads neither the AWS SDK, nor the Parquet reader and writer, nor the HTTP server', async () => {
  const { code, packages } = await packagesOf(['in.csv', '-m', model('linear.onnx'), '-o', 'out.csv'], { 'in.csv': 'a,b,c,d\n1,2,3,4\n' });
  assert.equal(code, 0);
  assert.ok(packages.has('onnxruntime-node'), `the hook sees the packages a run loads: ${[...packages].join(', ')}`);
  assert.deepEqual(UNUSED.filter((p) => packages.has(p)), []);
});

test('a Parquet run loads the Parquet reader and writer (and still no AWS SDK nor HTTP server)', async () => {
  const houses = path.join(ROOT, 'fixtures', 'houses.parquet');
  const { code, packages } = await packagesOf([houses, '-m', model('linear.onnx'), '--keep', 'id', '-o', 'out.parquet']);
  assert.equal(code, 3); // two of the fixture's rows fail, by design
  for (const p of ['hyparquet', 'hyparquet-writer']) assert.ok(packages.has(p), p);
  assert.deepEqual(['@aws-sdk/client-s3', 'fastify', 'prom-client'].filter((p) => packages.has(p)), []);
});

test('a CSV run on a pipe loads neither chalk nor cli-progress, nor the monitor nor the inspect command; --baseline loads the monitor', async () => {
  const files = { 'in.csv': 'a,b,c,d\n1,2,3,4\n2,3,4,5\n' };
  const plain = await packagesOf(['in.csv', '-m', model('linear.onnx'), '-o', 'out.csv'], files);
  assert.equal(plain.code, 0);
  assert.ok(plain.modules.has('score/processBlock'), `the hook sees the project's modules: ${[...plain.modules].join(', ')}`);
  assert.deepEqual(['chalk', 'cli-progress'].filter((p) => plain.packages.has(p)), []);
  assert.deepEqual([...plain.modules].filter((m) => m.startsWith('monitor/') || m === 'commands/inspect'), []);
  const dir = workdir(files);
  assert.equal((await runCli(['profile', 'in.csv', '-m', model('linear.onnx'), '-o', path.join(dir, 'base.json')], { cwd: dir })).code, 0);
  const compared = await packagesOf(['in.csv', '-m', model('linear.onnx'), '-o', 'out.csv', '--baseline', path.join(dir, 'base.json'), '--drift', 'r.html'], files);
  assert.equal(compared.code, 0);
  for (const m of ['monitor/runMonitor', 'monitor/unitMonitor', 'monitor/html']) assert.ok(compared.modules.has(m), m);
});
