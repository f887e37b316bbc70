// Scale-out figures (issue 16), for bench/run.mjs: N = 2 shard processes against one unsharded run, shard sizes
// on records of uneven length, and s3:// input and output (a local S3-compatible server, s3rver) against files.
import { createReadStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { interleave, runCommand } from './measure.mjs';
import { prng } from './data.mjs';

/** Records whose lengths vary 20-fold (a text column of 5 to 400 characters), seeded. */
function unevenCsv(file, rows) {
  const rand = prng(7);
  const lines = ['id,note,' + Array.from({ length: 13 }, (_, i) => `f${i}`).join(',')];
  for (let i = 0; i < rows; i++) {
    const note = 'x'.repeat(5 + Math.floor(rand() * 395));
    lines.push(`r${i},${note},${Array.from({ length: 13 }, () => (rand() * 2 - 1).toFixed(6)).join(',')}`);
  }
  writeFileSync(file, lines.join('\n') + '\n');
}

/** Puts a file at s3://bucket/key. */
async function upload(env, bucket, key, file) {
  const { S3Client } = await import('@aws-sdk/client-s3');
  const { Upload } = await import('@aws-sdk/lib-storage');
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const client = new S3Client({
    endpoint: env.AWS_ENDPOINT_URL,
    region: env.AWS_REGION,
    forcePathStyle: true,
    credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY },
    requestChecksumCalculation: 'WHEN_REQUIRED',
  });
  await new Upload({ client, params: { Bucket: bucket, Key: key, Body: createReadStream(file) } }).done();
  client.destroy();
}

/** A local S3-compatible server with one bucket; its environment for the CLI. */
async function localS3() {
  const { default: S3rver } = await import('s3rver');
  const directory = mkdtempSync(join(tmpdir(), 'bench-s3-'));
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory, configureBuckets: [{ name: 'bench' }] });
  const { port } = await server.run();
  const env = { AWS_ENDPOINT_URL: `http://127.0.0.1:${port}`, AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1', AWS_EC2_METADATA_DISABLED: 'true' };
  return { env, directory, close: async () => (await server.close(), rmSync(directory, { recursive: true, force: true })) };
}

/**
 * `ctx`: rows, runs, smoke, cli (the built CLI), model, data ({ csv }), outDir. `figure(label, rows, series)` and
 * `skipped(label, why)` make report rows. Returns { figures, goals(row) }.
 */
export async function shardFigures(ctx, { figure, skipped }) {
  const labels = {
    whole: 'batch-score --workers 0 --threads 1, unsharded (for the shards)',
    two: 'two shards (--shard 0/2, 1/2) --workers 0 --threads 1 each, at once',
    local: 'batch-score file → file (for s3)',
    s3: 'batch-score s3:// → s3:// (local S3-compatible server)',
  };
  if (ctx.smoke) return { figures: Object.values(labels).map((l) => skipped(l, 'skipped (--smoke)')), goals: () => undefined };
  const run = (args, env) => runCommand('/usr/bin/env', [...Object.entries(env ?? {}).map(([k, v]) => `${k}=${v}`), process.execPath, ctx.cli, ...args, '-m', ctx.model, '--keep', 'id', '-q']);
  const out = (name) => join(ctx.outDir, name);
  // One core per process: the unsharded run's model calls would otherwise use both cores (--threads defaults to
  // cores / (workers + 1)), and its time / 2 would not be what two one-core shards can reach.
  const oneCore = ['--workers', '0', '--threads', '1'];
  const [whole, two] = await interleave(ctx.runs, [
    () => run([ctx.data.csv, '-o', out('whole.csv'), ...oneCore]),
    async () => {
      const start = performance.now();
      const both = await Promise.all([0, 1].map((k) => run([ctx.data.csv, '-o', out(`shard-${k}.csv`), ...oneCore, '--shard', `${k}/2`])));
      return { ...(both.find((x) => x.code) ?? both[0]), seconds: (performance.now() - start) / 1000, rssMB: null };
    },
  ]);
  const uneven = join(ctx.outDir, 'uneven.csv');
  unevenCsv(uneven, Math.min(ctx.rows, 200_000));
  const sizes = {};
  for (const n of [2, 4]) {
    sizes[n] = [];
    for (let k = 0; k < n; k++) {
      const summary = out(`uneven-${k}-${n}.json`);
      await run([uneven, '--ignore', 'note', '-o', out(`uneven-${k}.csv`), '--shard', `${k}/${n}`, '--summary', summary]);
      sizes[n].push(JSON.parse(readFileSync(summary, 'utf8')).rows.read);
    }
  }
  const s3 = await localS3();
  let local;
  let remote;
  try {
    await upload(s3.env, 'bench', 'in/data.csv', ctx.data.csv);
    [local, remote] = await interleave(ctx.runs, [
      () => run([ctx.data.csv, '-o', out('local.csv')]),
      () => run(['s3://bench/in/data.csv', '-o', 's3://bench/out/preds.csv'], s3.env),
    ]);
  } finally {
    await s3.close();
  }
  const figures = [figure(labels.whole, ctx.rows, whole), figure(labels.two, ctx.rows, two), figure(labels.local, ctx.rows, local), figure(labels.s3, ctx.rows, remote)];
  const goals = (row) => {
    const ok = (f) => f && !f.failed;
    const [w, t] = [figures[0], figures[1]];
    const q = ok(w) && ok(t) ? t.seconds / (w.seconds / 2) : null;
    row('2 shards --workers 0 --threads 1: wall time within 1.15× of (unsharded / 2)', q === null ? 'n/a' : `${q.toFixed(2)}×`, q === null ? null : q <= 1.15);
    for (const n of [2, 4]) {
      const r = Math.max(...sizes[n]) / Math.min(...sizes[n]);
      row(`shard sizes within 1.2× (N = ${n}, records of 5–400 characters)`, `${r.toFixed(3)}× (${sizes[n].join(' / ')} records)`, r <= 1.2);
    }
    const [l, s] = [figures[2], figures[3]];
    const sq = ok(l) && ok(s) ? s.seconds / l.seconds : null;
    row('s3:// in and out within 1.5× of the local-file path', sq === null ? 'n/a' : `${sq.toFixed(2)}×`, sq === null ? null : sq <= 1.5);
  };
  return { figures, goals };
}
