/**
 * `batch-score serve`, black-box: the built CLI on port 0, real HTTP. Routes and statuses, the seed's Batch
 * Processing API example, ForestFlow, CSV/NDJSON bodies, the Open Inference Protocol (V2), metrics.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { expectedLinear, loadWeights, model } from './helpers.js';
import { metric, postJson, request, startServer, type Answer, type Served } from './serveHelpers.js';

const H1 = [3, 120.5, 12, 4.2];
const H2 = [2, 80, 35, 1.1];

describe('serve: routes (linear model)', () => {
  let s: Served;
  before(async () => {
    s = await startServer(['-m', model('linear.onnx'), '--quiet']);
  });
  after(async () => {
    const { code } = await s.stop();
    assert.equal(code, 0);
  });

  test('prints the address it listens on, on 127.0.0.1 by default', () => {
    assert.match(s.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  });

  test('health, server metadata, model metadata and readiness (V2)', async () => {
    assert.deepEqual((await request(`${s.url}/v2/health/live`)).json, { live: true });
    assert.deepEqual((await request(`${s.url}/v2/health/ready`)).json, { ready: true });
    const server = await request(`${s.url}/v2`);
    assert.equal(server.json.name, 'batch-score');
    const meta = await request(`${s.url}/v2/models/linear`);
    assert.deepEqual(meta.json.inputs, [{ name: 'float_input', datatype: 'FP32', shape: [-1, 4] }]);
    assert.deepEqual(meta.json.outputs, [{ name: 'variable', datatype: 'FP32', shape: [-1, 1] }]);
    assert.deepEqual((await request(`${s.url}/v2/models/linear/ready`)).json, { name: 'linear', ready: true });
    const unknown = await request(`${s.url}/v2/models/other`);
    assert.equal(unknown.status, 404);
    assert.match(unknown.json.error, /no model "other"; this server serves "linear"/);
  });

  test("the seed's example: one prediction per input, null where it failed, errors by 0-based index, 200", async () => {
    const res = await postJson(`${s.url}/predict`, { inputs: [H1, [1, 2, 3], H2] });
    assert.equal(res.status, 200);
    assert.equal(res.json.predictions.length, 3);
    assert.ok(Math.abs(res.json.predictions[0] - (await expectedLinear(H1))) < 1e-3);
    assert.equal(res.json.predictions[1], null);
    assert.ok(Math.abs(res.json.predictions[2] - (await expectedLinear(H2))) < 1e-3);
    assert.deepEqual(res.json.errors, { 1: 'expected 4 values, found 3' });
  });

  test('objects by name, checked like JSONL records (missing and invalid values fail alone)', async () => {
    const rec = (r: number[]) => ({ rooms: r[0], area: r[1], age: r[2], distance: r[3] });
    const res = await postJson(`${s.url}/predict`, { inputs: [rec(H1), { ...rec(H2), area: 'big' }, { rooms: 1, area: 2, age: 3 }, 7] });
    assert.equal(res.status, 200);
    assert.ok(Math.abs(res.json.predictions[0] - (await expectedLinear(H1))) < 1e-3);
    assert.deepEqual(res.json.predictions.slice(1), [null, null, null]);
    assert.match(res.json.errors['1'], /column "area": "big" is not a number/);
    assert.match(res.json.errors['2'], /missing value: column "distance" is absent/);
    assert.match(res.json.errors['3'], /expected a JSON object or array, found number/);
  });

  test('the ForestFlow request (schema, datum, configs) on the same route', async () => {
    const res = await postJson(`${s.url}/predict`, {
      schema: [{ type: 'Double', fields: ['rooms', 'area', 'age', 'distance'] }],
      datum: [{ tensors: [{ Double: { data: H1 } }] }, { tensors: [] }],
      configs: { policy: 'all' },
    });
    assert.equal(res.status, 200);
    assert.ok(Math.abs(res.json.predictions[0] - (await expectedLinear(H1))) < 1e-3);
    assert.equal(res.json.predictions[1], null);
    assert.match(res.json.errors['1'], /datum needs 1 tensors/);
  });

  test('a CSV body is answered in CSV: header, one row per record, an error column', async () => {
    const body = 'rooms,area,age,distance\n3,120.5,12,4.2\n2,,35,1.1\n';
    const res = await request(`${s.url}/predict`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type')!, /^text\/csv/);
    assert.equal(res.headers.get('x-records-failed'), '1');
    const lines = res.text.trimEnd().split('\n');
    assert.equal(lines[0], 'variable,error');
    assert.ok(Math.abs(Number(lines[1].split(',')[0]) - (await expectedLinear(H1))) < 1e-3);
    assert.equal(lines[1].split(',')[1], '');
    assert.equal(lines[2], ',"missing value: column ""area"" is empty"');
    assert.equal(lines.length, 3);
  });

  test('an NDJSON body is answered one object per line; a failed line says why', async () => {
    const body = `${JSON.stringify(H1)}\nnot json\n${JSON.stringify(H2)}\n`;
    const res = await request(`${s.url}/predict`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body });
    assert.equal(res.status, 200);
    const lines = res.text.trimEnd().split('\n').map((l) => JSON.parse(l));
    assert.equal(lines.length, 3);
    assert.ok(Math.abs(lines[0].variable - (await expectedLinear(H1))) < 1e-3);
    assert.equal(lines[1].variable, null);
    assert.match(lines[1].error, /not valid JSON/);
    assert.ok(Math.abs(lines[2].variable - (await expectedLinear(H2))) < 1e-3);
  });

  test('V2 infer with nested and with flat data gives the same tensors', async () => {
    const nested = await postJson(`${s.url}/v2/models/linear/infer`, { id: 'r1', inputs: [{ name: 'float_input', shape: [2, 4], datatype: 'FP32', data: [H1, H2] }] });
    const flat = await postJson(`${s.url}/v2/models/linear/infer`, { inputs: [{ name: 'float_input', shape: [2, 4], datatype: 'FP32', data: [...H1, ...H2] }] });
    assert.equal(nested.status, 200);
    assert.equal(nested.json.model_name, 'linear');
    assert.equal(nested.json.id, 'r1');
    const out = nested.json.outputs[0];
    assert.deepEqual([out.name, out.datatype, out.shape], ['variable', 'FP32', [2, 1]]);
    assert.ok(Math.abs(out.data[0] - (await expectedLinear(H1))) < 1e-3);
    assert.ok(Math.abs(out.data[1] - (await expectedLinear(H2))) < 1e-3);
    assert.deepEqual(flat.json.outputs, nested.json.outputs);
  });

  test('V2: wrong datatype, shape, names or values are a 400 with a JSON error', async () => {
    const infer = (inputs: unknown, extra = {}) => postJson(`${s.url}/v2/models/linear/infer`, { inputs, ...extra });
    const t = (o: object) => [{ name: 'float_input', shape: [1, 4], datatype: 'FP32', data: H1, ...o }];
    const cases: Array<[unknown, RegExp, object?]> = [
      [t({ datatype: 'FP64' }), /datatype FP64, the model's is FP32/],
      [t({ shape: [1, 3] }), /shape \[1,3\] does not fit the model's \[-1,4\]/],
      [t({ shape: [2, 4] }), /needs 8 values, data has 4/],
      [t({ data: [[1, 2], [3, 4]] }), /nested data does not match its shape/],
      [t({ name: 'x' }), /the model has no input "x"/],
      [t({ shape: 'x' }), /shape must be a list/],
      [[], /non-empty list/],
      [t({}), /no output "nope"/, { outputs: [{ name: 'nope' }] }],
    ];
    for (const [inputs, message, extra] of cases) {
      const res = await infer(inputs, extra);
      assert.equal(res.status, 400, JSON.stringify(inputs));
      assert.match(res.json.error, message);
    }
    const bad = await infer([{ name: 'float_input', shape: [2, 4], datatype: 'FP32', data: [...H1, 1, 2, 'x', 4] }]);
    assert.equal(bad.status, 400);
    assert.match(bad.json.error, /1 of 2 rows could not be scored; row 1: .*"x" is not a number/);
    assert.deepEqual(Object.keys(bad.json.errors), ['1']);
  });

  test('the lean path and fastify answer a request alike (content types and names only fastify reads)', async () => {
    // application/json and plain names take the lean path; another JSON type, an encoded name and no type at all
    // with an empty body are read by fastify's routes. The answers must not tell which.
    const post = (url: string, type: string | null, body: string) => request(url, { method: 'POST', headers: type ? { 'content-type': type } : {}, body });
    const seen = async (res: Answer) => [res.status, res.headers.get('content-type'), res.headers.get('x-records-failed'), res.text];
    const bodies = [JSON.stringify({ inputs: [H1, [1, 2, 3]] }), JSON.stringify({ inputs: [] }), 'nope', '{"inputs": {}}', '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]'];
    for (const body of bodies) {
      const lean = await seen(await post(`${s.url}/predict`, 'application/json', body));
      assert.deepEqual(await seen(await post(`${s.url}/predict`, 'application/vnd.example+json', body)), lean, body);
      assert.deepEqual(await seen(await post(`${s.url}/predict?via=query`, 'application/json', body)), lean, body);
    }
    const v2 = JSON.stringify({ inputs: [{ name: 'float_input', shape: [1, 4], datatype: 'FP32', data: H1 }] });
    for (const body of [v2, 'nope', '[]']) {
      const lean = await seen(await post(`${s.url}/v2/models/linear/infer`, 'application/json', body));
      assert.deepEqual(await seen(await post(`${s.url}/v2/models/lin%65ar/infer`, 'application/json', body)), lean, body);
      assert.deepEqual(await seen(await post(`${s.url}/v2/models/linear/infer`, 'application/vnd.example+json', body)), lean, body);
    }
    assert.deepEqual(await seen(await post(`${s.url}/v2/models/other/infer`, 'application/vnd.example+json', v2)), await seen(await post(`${s.url}/v2/models/other/infer`, 'application/json', v2)));
    const invalidType = await post(`${s.url}/predict`, 'not a type', bodies[0]);
    assert.equal(invalidType.status, 415);
    assert.equal(typeof invalidType.json.error, 'string');
    const noType = await post(`${s.url}/predict`, null, bodies[0]);
    assert.equal(noType.status, 200);
    assert.deepEqual(noType.json, JSON.parse((await post(`${s.url}/predict`, 'application/json', bodies[0])).text));
  });

  test('unknown route 404, wrong method 405 with Allow, every error a JSON body', async () => {
    const missing = await request(`${s.url}/nope`);
    assert.equal(missing.status, 404);
    assert.match(missing.json.error, /no route GET \/nope/);
    const wrong = await request(`${s.url}/predict`);
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.get('allow'), 'POST');
    assert.match(wrong.json.error, /use POST on \/predict/);
    const del = await request(`${s.url}/v2/health/ready`, { method: 'DELETE' });
    assert.equal(del.status, 405);
  });

  test('/metrics: requests by route and status, records scored and failed by code, model calls, batch sizes', async () => {
    await postJson(`${s.url}/predict`, { inputs: [H1, [1]] });
    const res = await request(`${s.url}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type')!, /^text\/plain/);
    assert.ok(metric(res.text, 'batch_score_http_requests_total', 'route="/predict",method="POST",status="200"') >= 1);
    assert.ok(metric(res.text, 'batch_score_records_scored_total') >= 1);
    assert.ok(metric(res.text, 'batch_score_records_failed_total', 'code="FEATURE_COUNT"') >= 1);
    assert.ok(metric(res.text, 'batch_score_model_calls_total') >= 1);
    assert.ok(metric(res.text, 'batch_score_batch_records_count') >= 1);
    for (const name of ['batch_score_http_request_duration_seconds_bucket', 'batch_score_queue_records', 'batch_score_in_flight_requests', 'batch_score_process_resident_memory_bytes']) {
      assert.ok(res.text.includes(`\n${name}`), name);
    }
  });
});

describe('serve: micro-batching across requests (gather_fail model: x0 = 7 makes a model call fail)', () => {
  let s: Served;
  before(async () => {
    // A long wait, so that concurrent requests surely share batches.
    s = await startServer(['-m', model('gather_fail.onnx'), '--max-wait-ms', '300', '--max-batch-size', '1000', '--quiet']);
  });
  after(async () => {
    await s.stop();
  });

  test('concurrent requests each get their own predictions; a bad record never fails another request', async () => {
    const w = await loadWeights();
    const gf = w.models.gather_fail;
    const requests = Array.from({ length: 24 }, (_, k) => {
      const inputs: unknown[] = [[k % 4, k / 8], [(k + 1) % 4, 0.5]];
      if (k % 3 === 0) inputs.splice(1, 0, [7, 0]); // fails in the model: isolated
      if (k % 5 === 0) inputs.push(['x', 1]); // fails its check
      return inputs;
    });
    const before = metric((await request(`${s.url}/metrics`)).text, 'batch_score_model_calls_total');
    const answers = await Promise.all(requests.map((inputs) => postJson(`${s.url}/predict`, { inputs })));
    answers.forEach((res, k) => {
      assert.equal(res.status, 200);
      const inputs = requests[k] as Array<[number, number]>;
      assert.equal(res.json.predictions.length, inputs.length);
      inputs.forEach((row, i) => {
        if (row[0] === 7 || row[0] === ('x' as unknown)) {
          assert.equal(res.json.predictions[i], null);
          assert.ok(res.json.errors[String(i)], `request ${k} record ${i} has an error`);
        } else {
          assert.ok(Math.abs(res.json.predictions[i] - (gf.predict(row) as { y: number }).y) < 1e-4, `request ${k} record ${i}`);
        }
      });
    });
    const text = (await request(`${s.url}/metrics`)).text;
    // 24 requests in a few batches; the failing ones cost their isolation calls, never a request's answer.
    assert.ok(metric(text, 'batch_score_records_failed_total', 'code="MODEL_ERROR"') >= 8);
    assert.ok(metric(text, 'batch_score_batch_records_count') < 24, 'requests were scored in shared batches');
    assert.ok(metric(text, 'batch_score_model_calls_total') - before > 0);
  });
});
