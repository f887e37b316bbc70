/**
 * `batch-score serve` under faults, black-box: body limit (413 before the body is read), load shedding (503 with
 * Retry-After), slow clients timed out, a corpus of malformed bodies, drain on SIGTERM with requests in flight, a
 * second signal, start-up errors, shadow mode.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { model, runCli, workdir } from './helpers.js';
import { metric, postJson, request, startServer, type Served } from './serveHelpers.js';

const ROW = [3, 120.5, 12, 4.2];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sends raw bytes on a new connection; resolves with everything the server sent until it closed (or `waitMs`). */
function raw(url: string, chunks: string[], waitMs = 5000, until?: RegExp): Promise<{ text: string; closed: boolean }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), hostname);
    let text = '';
    const done = (closed: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ text, closed });
    };
    const timer = setTimeout(() => done(false), waitMs);
    socket.on('data', (b) => {
      text += b.toString('latin1');
      if (until?.test(text)) done(false);
    });
    socket.on('close', () => done(true));
    socket.on('error', () => done(true));
    for (const c of chunks) socket.write(c);
  });
}

async function waitFor(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await sleep(25);
  }
  throw new Error(`timed out waiting for ${what}`);
}

const queued = async (s: Served) => metric((await request(`${s.url}/metrics`)).text, 'batch_score_queue_records');

describe('serve: limits on one server (small body limit and queue, short timeouts)', () => {
  let s: Served;
  before(async () => {
    s = await startServer(['-m', model('linear.onnx'), '--quiet', '--max-body-bytes', '2000', '--max-queue', '4', '--max-wait-ms', '1500', '--max-batch-size', '100', '--headers-timeout', '300', '--request-timeout', '600']);
  });
  after(async () => {
    await s.stop();
  });

  test('a body over --max-body-bytes is a 413, declared or chunked', async () => {
    const big = JSON.stringify({ inputs: Array.from({ length: 200 }, () => ROW) });
    const res = await postJson(`${s.url}/predict`, big);
    assert.equal(res.status, 413);
    assert.equal(res.json.error, 'the body is larger than --max-body-bytes 2000');
    const stream = new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode(big)); c.close(); } });
    const chunked = await request(`${s.url}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: stream as never, duplex: 'half' } as never);
    assert.equal(chunked.status, 413);
  });

  test('413 is answered from the declared length, without waiting for the body', async () => {
    const { text } = await raw(s.url, ['POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000000\r\n\r\n{"inputs":'], 3000, /\r\n\r\n/);
    assert.match(text, /^HTTP\/1\.1 413 /);
  });

  test('more queued records than --max-queue: 503 with Retry-After; more records in one request than that: 400', async () => {
    const tooMany = await postJson(`${s.url}/predict`, { inputs: [ROW, ROW, ROW, ROW, ROW] });
    assert.equal(tooMany.status, 400);
    assert.match(tooMany.json.error, /holds 5 records; at most 4/);
    const waiting = Array.from({ length: 4 }, () => postJson(`${s.url}/predict`, { inputs: [ROW] }));
    await waitFor(async () => (await queued(s)) === 4, 'four queued records');
    const shed = await postJson(`${s.url}/predict`, { inputs: [ROW] });
    assert.equal(shed.status, 503);
    assert.equal(shed.headers.get('retry-after'), '1');
    assert.match(shed.json.error, /at capacity \(4 records queued, --max-queue 4\)/);
    // Refused before its body was read: the queue was full.
    const big = await postJson(`${s.url}/predict`, { inputs: [ROW, ROW] });
    assert.equal(big.status, 503);
    for (const res of await Promise.all(waiting)) assert.equal(res.status, 200);
    const text = (await request(`${s.url}/metrics`)).text;
    assert.equal(metric(text, 'batch_score_http_requests_total', 'status="503"'), 2);
    assert.equal(metric(text, 'batch_score_shed_requests_total'), 2);
  });

  test('a client that sends its headers too slowly, or its body too slowly, is cut off', async () => {
    const headers = await raw(s.url, ['POST /predict HTTP/1.1\r\nHost: x\r\n'], 5000);
    assert.ok(headers.closed, 'closed the connection');
    const body = await raw(s.url, ['POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"in'], 5000);
    assert.ok(body.closed, 'closed the connection');
    assert.match(body.text, /^HTTP\/1\.1 408 /);
  });

  test('a corpus of malformed bodies: each a 4xx with a JSON error, and the server lives on', async () => {
    const deep = '['.repeat(100000) + ']'.repeat(100000);
    const corpus: string[] = [
      '', ' ', 'null', 'true', '42', '"x"', '{}', '[[[1,2,3,4]]', '{"inputs": null}', '{"inputs": {}}', '{"inputs": 3}', '{"inputs": [',
      '{"schema": [], "datum": 1}', '{"schema": [{"type": 1}], "datum": []}', '{"schema": [{"fields": ["a"]}], "datum": [{}]}',
      deep, `{"inputs": ${deep}}`, '{"__proto__": {"inputs": [[1,2,3,4]]}}', '\u0000\u0001', '\uFEFF{"inputs": [}', '{"inputs": [1e999999]}x',
      `{"inputs": [${Array.from({ length: 5 }, () => '[1,2,3,4]').join(',')}]}`,
    ];
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const alphabet = '{}[]",:0123456789.eE-+ truefalsnul\\x\n';
    for (let i = 0; i < 60; i++) corpus.push(Array.from({ length: 1 + Math.floor(rand() * 40) }, () => alphabet[Math.floor(rand() * alphabet.length)]).join(''));
    const v2 = [
      '{"inputs": [{"name": "float_input", "shape": [1e9, 4], "datatype": "FP32", "data": []}]}',
      '{"inputs": [{"name": "float_input", "shape": [-1, 4], "datatype": "FP32", "data": []}]}',
      '{"inputs": [{"name": "float_input", "shape": [1, 4], "datatype": "FP32", "data": [[[[1]]]]}]}',
      '{"inputs": [{"name": "float_input", "shape": [1, 4], "datatype": "FP32", "data": {"a": 1}}]}',
      '{"inputs": [{"name": "float_input", "shape": [1, 4], "datatype": "FP32", "data": [1,2,3,4]}, {"name": "float_input", "shape": [1, 4], "datatype": "FP32", "data": [1,2,3,4]}]}',
      '[]', '{"inputs": [null]}', ...corpus.slice(0, 30),
    ];
    const sent: Array<[string, string]> = [...corpus.map((b): [string, string] => ['/predict', b]), ...v2.map((b): [string, string] => ['/v2/models/linear/infer', b])];
    for (const [route, body] of sent) {
      const res = await request(`${s.url}${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      assert.ok(res.status >= 400 && res.status < 500, `${route} ${JSON.stringify(body.slice(0, 60))}: ${res.status} ${res.text.slice(0, 200)}`);
      assert.equal(typeof res.json?.error, 'string', `${route} ${JSON.stringify(body.slice(0, 60))}: ${res.text.slice(0, 200)}`);
      assert.doesNotMatch(res.text, /\/work\/|\/home\/|node_modules|at .*\.js:\d+/, 'no paths or stack traces');
    }
    const invalidUtf8 = await request(`${s.url}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]) });
    assert.equal(invalidUtf8.status, 400);
    assert.equal((await request(`${s.url}/v2/health/live`)).status, 200);
    const ok = await postJson(`${s.url}/predict`, { inputs: [ROW] });
    assert.equal(ok.status, 200);
  });
});

describe('serve: stopping', () => {
  test('SIGTERM: requests in flight are answered, new connections refused, exit 0', async () => {
    const s = await startServer(['-m', model('linear.onnx'), '--max-wait-ms', '1500', '--max-batch-size', '100']);
    const inFlight = Array.from({ length: 3 }, (_, k) => postJson(`${s.url}/predict`, { inputs: [ROW, [k, 1, 2, 3]] }));
    await waitFor(async () => (await queued(s)) === 6, 'six queued records');
    s.child.kill('SIGTERM');
    await waitFor(async () => s.stderr().includes('SIGTERM: draining'), 'the drain to start');
    await assert.rejects(fetch(`${s.url}/v2/health/live`), 'the listener is closed');
    for (const res of await Promise.all(inFlight)) {
      assert.equal(res.status, 200);
      assert.equal(res.json.predictions.length, 2);
      assert.equal(typeof res.json.predictions[1], 'number');
    }
    const { code } = await s.exited;
    assert.equal(code, 0);
    assert.match(s.stderr(), /stopped; every request in flight was answered/);
  });

  test('a second signal exits at once (143), even while a request is still arriving', async () => {
    const s = await startServer(['-m', model('linear.onnx'), '--quiet']);
    // A client that sent half its body: the drain waits for it (up to --request-timeout, 30 s)…
    const stalled = raw(s.url, ['POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"in'], 20000);
    await waitFor(async () => metric((await request(`${s.url}/metrics`)).text, 'batch_score_in_flight_requests') >= 2, 'the stalled request');
    s.child.kill('SIGTERM');
    await waitFor(async () => s.stderr().includes('draining'), 'the drain to start');
    await sleep(200);
    assert.equal(s.child.exitCode, null, 'still draining');
    // …and a second signal does not.
    s.child.kill('SIGTERM');
    const { code } = await s.exited;
    assert.equal(code, 143);
    assert.match(s.stderr(), /error \[TERMINATED\] stopped at once by a second SIGTERM/);
    await stalled;
  });

  test('start-up errors are run errors with their exit codes', async () => {
    const missing = await runCli(['serve', '-m', 'nope.onnx', '--port', '0']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /batch-score: error \[MODEL\] cannot read model nope\.onnx: no such file/);
    const port = await runCli(['serve', '-m', model('linear.onnx'), '--port', '70000']);
    assert.equal(port.code, 2);
    assert.match(port.stderr, /error \[USAGE\] --port must be at most 65535/);
    const log = await runCli(['serve', '-m', model('linear.onnx'), '--shadow-log', 'x.jsonl']);
    assert.equal(log.code, 2);
    assert.match(log.stderr, /--shadow-log needs --shadow/);
    const s = await startServer(['-m', model('linear.onnx'), '--quiet'], { ready: false });
    const busy = await runCli(['serve', '-m', model('linear.onnx'), '--port', new URL(s.url).port]);
    await s.stop();
    assert.equal(busy.code, 2);
    assert.match(busy.stderr, /error \[USAGE\] cannot listen on 127\.0\.0\.1:\d+: the address is in use/);
  });
});

describe('serve: shadow mode', () => {
  test('--shadow scores every batch with a second model; agreement in /metrics, both predictions in --shadow-log', async () => {
    const dir = workdir();
    const log = path.join(dir, 'shadow.jsonl');
    const s = await startServer(['-m', model('linear.onnx'), '--shadow', model('mlp.onnx'), '--shadow-log', log, '--quiet'], { cwd: dir });
    const answers = await Promise.all([postJson(`${s.url}/predict`, { inputs: [ROW, [1, 2]] }), postJson(`${s.url}/predict`, { inputs: [[1, 2, 3, 4]] })]);
    for (const res of answers) assert.equal(res.status, 200);
    await waitFor(async () => metric((await request(`${s.url}/metrics`)).text, 'batch_score_shadow_compared_total') === 2, 'two compared records');
    const text = (await request(`${s.url}/metrics`)).text;
    assert.ok(metric(text, 'batch_score_shadow_mean_abs_diff') > 0);
    const { code } = await s.stop();
    assert.equal(code, 0);
    const lines = readFileSync(log, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
    assert.equal(lines.length, 3);
    const scored = lines.filter((l) => l.main.variable !== null);
    assert.equal(scored.length, 2);
    for (const l of scored) assert.equal(typeof l.shadow.output, 'number');
  });
});
