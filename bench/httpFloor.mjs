// The floor of a one-record request on node:http here: a server that reads the body and writes a fixed answer,
// no JSON, no checks, no queue, no model. Started by bench/serve.mjs like the real server (same stderr line, a
// /v2/health/ready and a /metrics with the two values the bench reads), so that its rows are measured the same way.
import http from 'node:http';

const answer = '{"predictions":[\n0.5\n],"errors":{}}\n';
const headers = ['content-type', 'application/json; charset=utf-8', 'content-length', String(Buffer.byteLength(answer))];
const server = http.createServer((req, res) => {
  if (req.method === 'GET') {
    const cpu = process.cpuUsage();
    res.end(req.url === '/metrics' ? `batch_score_process_cpu_seconds_total ${(cpu.user + cpu.system) / 1e6}\nbatch_score_process_resident_memory_bytes ${process.memoryUsage().rss}\n` : '{"ready":true}');
    return;
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    res.writeHead(200, headers);
    res.end(answer);
  });
});
server.listen(0, '127.0.0.1', () => process.stderr.write(`listening on http://127.0.0.1:${server.address().port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
