// Load bench for `batch-score serve` (issue 14), loopback only and bounded in time.
//
//   node bench/serve.mjs            the figures: single-record requests (batched vs --max-batch-size 1),
//                                   1,000-record requests vs the CLI's JSONL throughput, overload (RSS, shedding)
//   node bench/serve.mjs --sweep    single-record requests over --max-wait-ms and --max-batch-size (for defaults)
//   node bench/serve.mjs --waits    --max-wait-ms 0 against 2, interleaved
//   node bench/serve.mjs --overload the overload figure alone
//
// autocannon runs in this process and the server in another: on a 2-core machine they share the cores, so the
// figures are what one machine does for both sides, not the server alone. Every figure is a median of RUNS runs.

import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { ensureModel } from './model.mjs';
import { ensureRecords, prng, N_FEATURES } from './data.mjs';
import { runCommand } from './measure.mjs';

const ROOT = new URL('..', import.meta.url).pathname;
const BIN = join(ROOT, 'bin', 'batch-score.js');
const DATA = join(ROOT, 'bench', 'data');
mkdirSync(DATA, { recursive: true });
const MODEL = ensureModel(DATA);
const FLOOR = Symbol('node:http alone');
const RUNS = Number(process.env.RUNS ?? 3);
const SECONDS = Number(process.env.SECONDS_PER_RUN ?? 4);

const rand = prng(11);
const row = () => Array.from({ length: N_FEATURES }, () => Number((rand() * 4 - 2).toFixed(6)));
const oneRecord = JSON.stringify({ inputs: [row()] });
const noRecord = JSON.stringify({ inputs: [] });
const thousand = JSON.stringify({ inputs: Array.from({ length: 1000 }, row) });

const median = (v) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const spread = (v) => `${Math.round(Math.min(...v)).toLocaleString('en-US')}–${Math.round(Math.max(...v)).toLocaleString('en-US')}`;

/** `batch-score serve` with these flags, or (FLOOR) bench/httpFloor.mjs. */
async function startServer(flags) {
  const args = flags === FLOOR ? [join(ROOT, 'bench', 'httpFloor.mjs')] : [BIN, 'serve', '-m', MODEL, '--port', '0', '--quiet', ...flags];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  const url = await new Promise((resolve, reject) => {
    child.stderr.on('data', (b) => {
      err += b;
      const m = /listening on (\S+)/.exec(err);
      if (m) resolve(m[1]);
    });
    child.on('close', () => reject(new Error(err)));
  });
  for (;;) {
    const ok = await fetch(`${url}/v2/health/ready`).then((r) => r.ok, () => false);
    if (ok) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url, stop: () => new Promise((r) => { child.on('close', r); child.kill('SIGTERM'); }) };
}

async function metrics(url) {
  const text = await (await fetch(`${url}/metrics`)).text();
  const value = (name) => Number(/^(\S+) (\S+)$/m.exec(text.split('\n').filter((l) => l.startsWith(`${name} `)).join('\n') || `x 0`)?.[2] ?? 0);
  return { calls: value('batch_score_model_calls_total'), rss: value('batch_score_process_resident_memory_bytes') / 2 ** 20, cpu: value('batch_score_process_cpu_seconds_total') };
}

async function load(url, { connections, body, seconds = SECONDS }) {
  const before = await metrics(url);
  // No body: GET /v2/health/live, the HTTP stack's own floor.
  const target = body === undefined ? { url: `${url}/v2/health/live` } : { url: `${url}/predict`, method: 'POST', headers: { 'content-type': 'application/json' }, body };
  const client = process.cpuUsage();
  const r = await autocannon({ ...target, connections, duration: seconds });
  const { user, system } = process.cpuUsage(client);
  const after = await metrics(url);
  const ok = r['2xx'];
  // CPU per answered request: the server's (all its threads, from its /metrics) and this process's (autocannon).
  const serverUs = ((after.cpu - before.cpu) * 1e6) / Math.max(1, ok);
  return { rps: ok / seconds, p50: r.latency.p50, p99: r.latency.p99, callsPerRequest: (after.calls - before.calls) / Math.max(1, ok), non2xx: r.non2xx, errors: r.errors, serverUs, clientUs: (user + system) / Math.max(1, ok) };
}

/** RUNS runs of a load against a server started with `flags` (a fresh server per run, warmed with one short run). */
async function series(flags, opts, runCount = RUNS) {
  const runs = [];
  for (let i = 0; i < runCount; i++) {
    const server = await startServer(flags);
    await load(server.url, { ...opts, seconds: 1 });
    runs.push(await load(server.url, opts));
    await server.stop();
  }
  return {
    rps: median(runs.map((r) => r.rps)),
    rpsRange: spread(runs.map((r) => r.rps)),
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
    callsPerRequest: median(runs.map((r) => r.callsPerRequest)),
    serverUs: median(runs.map((r) => r.serverUs)),
    clientUs: median(runs.map((r) => r.clientUs)),
    failures: runs.reduce((a, r) => a + r.non2xx + r.errors, 0),
  };
}

const fmt = (n) => Math.round(n).toLocaleString('en-US');
const line = (name, s, unit = 1) => `| ${name} | ${fmt(s.rps * unit)} | ${s.rpsRange} | ${s.p50} | ${s.p99} | ${s.callsPerRequest.toFixed(3)} | ${fmt(s.serverUs)} | ${fmt(s.clientUs)} | ${s.failures} |`;
const HEADER = '| setting | median /s | range of runs (req/s) | p50 ms | p99 ms | model calls per request | server CPU µs per request | autocannon CPU µs per request | non-2xx + errors |\n|---|---:|---|---:|---:|---:|---:|---:|---:|';

async function figures() {
  console.log(`- ${new Date().toISOString()}, ${availableParallelism()} cores, node ${process.version}, ${RUNS} runs of ${SECONDS} s each (median; range shown), load average ${(await import('node:os')).loadavg()[0].toFixed(2)} at start`);
  console.log('\n64 connections, one-record requests (`{"inputs": [[13 floats]]}`), requests/s:\n');
  console.log(HEADER);
  const batched = await series([], { connections: 64, body: oneRecord });
  console.log(line('defaults (micro-batching)', batched));
  const single = await series(['--max-batch-size', '1'], { connections: 64, body: oneRecord });
  console.log(line('--max-batch-size 1', single));
  const empty = await series([], { connections: 64, body: noRecord });
  console.log(line('no record (`{"inputs": []}`: HTTP and JSON, no model)', empty));
  const live = await series([], { connections: 64 });
  console.log(line('GET /v2/health/live (the HTTP stack alone)', live));
  const floor = await series(FLOOR, { connections: 64, body: oneRecord });
  console.log(line('node:http alone, the same requests (bench/httpFloor.mjs: reads the body, writes a fixed answer)', floor));
  console.log(`\n- batched / unbatched requests/s: ${(batched.rps / single.rps).toFixed(2)}×`);
  // What a request costs the server's CPU: batching can at most take the model call out of it.
  console.log(`- server CPU per request, unbatched / batched: ${(single.serverUs / batched.serverUs).toFixed(2)}× (${fmt(single.serverUs)} / ${fmt(batched.serverUs)} µs); a no-record request ${fmt(empty.serverUs)} µs, a health check ${fmt(live.serverUs)} µs; node:http alone ${fmt(floor.serverUs)} µs`);
  console.log(`- 5× would need a batched request at ≤ ${fmt(single.serverUs / 5)} µs of server CPU; node:http alone / unbatched requests/s: ${(floor.rps / single.rps).toFixed(2)}×`);
  console.log(`- no-record / unbatched requests/s: ${(empty.rps / single.rps).toFixed(2)}×`);
  console.log('\n4 connections, 1,000-record requests, records/s (requests/s × 1,000):\n');
  console.log(HEADER.replace('median /s', 'median records/s'));
  const bulk = await series([], { connections: 4, body: thousand });
  console.log(line('defaults (--workers 0: scored in the main thread)', bulk, 1000));
  const pooled = await series(['--workers', '1'], { connections: 4, body: thousand });
  console.log(line('--workers 1', pooled, 1000));
  const rows = 500000;
  const { jsonl } = await ensureRecords(DATA, rows);
  const cli = [];
  for (let i = 0; i < RUNS; i++) cli.push(rows / (await runCommand(process.execPath, [BIN, jsonl, '-m', MODEL, '-o', join(tmpdir(), 'bench-serve.jsonl'), '-q'])).seconds);
  console.log(`\n- the CLI on ${fmt(rows)} JSONL records → JSONL (default workers, whole process): ${fmt(median(cli))} records/s (runs ${spread(cli)}); serve / CLI: ${(bulk.rps * 1000 / median(cli)).toFixed(2)} (--workers 1: ${(pooled.rps * 1000 / median(cli)).toFixed(2)})`);

  await overload();
}

async function overload() {
  console.log('\nOverload: 128 connections sending 1,000-record requests for 8 s at --max-queue 4096 (RSS from /metrics every 0.5 s):\n');
  const server = await startServer(['--max-queue', '4096']);
  const samples = [];
  const sampler = setInterval(() => metrics(server.url).then((m) => samples.push(m.rss), () => undefined), 500);
  const r = await autocannon({ url: `${server.url}/predict`, method: 'POST', headers: { 'content-type': 'application/json' }, body: thousand, connections: 128, duration: 8 });
  clearInterval(sampler);
  await server.stop();
  const half = samples.length >> 1;
  console.log(`- answered: ${fmt(r['2xx'])} × 200, ${fmt(r.non2xx)} × non-2xx (503 shed), ${r.errors} connection errors; p99 ${r.latency.p99} ms`);
  console.log(`- RSS MB: first half of the run max ${Math.max(...samples.slice(0, half)).toFixed(0)}, second half max ${Math.max(...samples.slice(half)).toFixed(0)} (samples ${samples.map((s) => s.toFixed(0)).join(' ')})`);
}

async function sweep() {
  console.log(`- ${new Date().toISOString()}, 64 connections, one-record requests, ${RUNS} runs of ${SECONDS} s each\n`);
  console.log(HEADER);
  for (const wait of ['0', '1', '2', '5']) console.log(line(`--max-wait-ms ${wait} --max-batch-size 256`, await series(['--max-wait-ms', wait, '--max-batch-size', '256'], { connections: 64, body: oneRecord })));
  for (const size of ['16', '64', '1024']) console.log(line(`--max-wait-ms 2 --max-batch-size ${size}`, await series(['--max-wait-ms', '2', '--max-batch-size', size], { connections: 64, body: oneRecord })));
  console.log('\n4 connections, 1,000-record requests (records/s):\n');
  console.log(HEADER.replace('median /s', 'median records/s'));
  for (const size of ['64', '256', '1024']) console.log(line(`--max-batch-size ${size}`, await series(['--max-batch-size', size], { connections: 4, body: thousand }), 1000));
}

/** --max-wait-ms 0 against 2 at --max-batch-size 1024, runs interleaved so that load from elsewhere hits both alike. */
async function waits() {
  console.log(`- ${new Date().toISOString()}, 64 connections, one-record requests, ${RUNS} interleaved runs of ${SECONDS} s each\n`);
  console.log(HEADER);
  const results = { 0: [], 2: [] };
  for (let i = 0; i < RUNS; i++) for (const wait of [0, 2]) results[wait].push(await series(['--max-wait-ms', String(wait), '--max-batch-size', '1024'], { connections: 64, body: oneRecord }, 1));
  for (const wait of [0, 2]) {
    const r = results[wait];
    const rps = r.map((x) => x.rps);
    console.log(line(`--max-wait-ms ${wait} --max-batch-size 1024`, { rps: median(rps), rpsRange: spread(rps), p50: median(r.map((x) => x.p50)), p99: median(r.map((x) => x.p99)), callsPerRequest: median(r.map((x) => x.callsPerRequest)), failures: r.reduce((a, x) => a + x.failures, 0) }));
  }
}

await (process.argv.includes('--sweep') ? sweep() : process.argv.includes('--waits') ? waits() : process.argv.includes('--overload') ? overload() : figures());
