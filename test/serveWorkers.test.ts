/**
 * `batch-score serve --workers N`: batches scored by the CLI's worker pool, off the thread that serves HTTP.
 * Black-box: the built CLI on port 0; every body kind gives the same answer as a server scoring in its main thread,
 * and concurrent requests with bad records mixed in (failing checks, failing model calls) each get their own.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { model } from './helpers.js';
import { metric, postJson, request, startServer, type Served } from './serveHelpers.js';

describe('serve --workers 2 answers as the main thread does', () => {
  let workers: Served;
  let main: Served;
  before(async () => {
    const args = ['-m', model('gather_fail.onnx'), '--max-wait-ms', '50', '--quiet'];
    [workers, main] = await Promise.all([startServer([...args, '--workers', '2']), startServer([...args, '--workers', '0'])]);
  });
  after(async () => {
    assert.equal((await workers.stop()).code, 0);
    assert.equal((await main.stop()).code, 0);
  });

  test('JSON, CSV, NDJSON and V2 bodies, concurrent, bad records mixed in: the same answers', async () => {
    const bodies: Array<{ path: string; type: string; body: string }> = [];
    for (let k = 0; k < 16; k++) {
      const inputs: unknown[] = [[k % 4, k / 8], [(k + 1) % 4, 0.5]];
      if (k % 3 === 0) inputs.splice(1, 0, [7, 0]); // fails in the model: isolated
      if (k % 5 === 0) inputs.push(['x', 1]); // fails its check
      bodies.push({ path: '/predict', type: 'application/json', body: JSON.stringify({ inputs }) });
    }
    bodies.push({ path: '/predict', type: 'text/csv', body: 'a,b\n1,2\n7,0\n3,x\n' });
    bodies.push({ path: '/predict', type: 'application/x-ndjson', body: '[1,2]\n{"a":1}\n[2,0.25]\n' });
    bodies.push({ path: '/v2/models/gather_fail/infer', type: 'application/json', body: JSON.stringify({ inputs: [{ name: 'x', shape: [2, 2], datatype: 'FP32', data: [1, 2, 3, 0.5] }] }) });
    const ask = (s: Served) => Promise.all(bodies.map((b) => request(`${s.url}${b.path}`, { method: 'POST', headers: { 'content-type': b.type }, body: b.body })));
    const [fromWorkers, fromMain] = await Promise.all([ask(workers), ask(main)]);
    fromWorkers.forEach((res, k) => {
      assert.equal(res.status, 200, res.text);
      assert.equal(res.text, fromMain[k].text, `body ${k}`);
    });
    assert.ok(fromWorkers.slice(0, 16).some((r) => Object.keys(r.json.errors).length > 0));
    const calls = metric((await request(`${workers.url}/metrics`)).text, 'batch_score_model_calls_total');
    assert.ok(calls > 0);
  });

  test('a 1,000-record request is scored whole and in order', async () => {
    const inputs = Array.from({ length: 1000 }, (_, i) => [i % 4, i / 1000]);
    const [a, b] = await Promise.all([postJson(`${workers.url}/predict`, { inputs }), postJson(`${main.url}/predict`, { inputs })]);
    assert.equal(a.status, 200);
    assert.equal(a.json.predictions.length, 1000);
    assert.equal(a.text, b.text);
  });
});
