/** Black-box helpers for `batch-score serve`: start the built CLI on port 0, talk HTTP to it, stop it. */
import { spawn, type ChildProcess } from 'node:child_process';
import { BIN, workdir } from './helpers.js';

export interface Served {
  url: string;
  child: ChildProcess;
  stderr(): string;
  /** Resolves with the exit code (or signal) once the process has ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts `batch-score serve … --port 0` and waits until it is listening and ready. Standard input and output are
 * both /dev/null, as under a service manager or in a container (the run's check that they differ must not apply).
 */
export async function startServer(args: string[], { ready = true, cwd = workdir(), env = {} as NodeJS.ProcessEnv } = {}): Promise<Served> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', ...args], { cwd, env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (b: Buffer) => (err += b.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  const url = await new Promise<string>((resolve, reject) => {
    const check = () => {
      const m = /listening on (http:\/\/\S+)/.exec(err);
      if (m) resolve(m[1]);
    };
    child.stderr!.on('data', check);
    exited.then(() => reject(new Error(`the server exited before listening: ${err}`)));
  });
  const served: Served = {
    url,
    child,
    stderr: () => err,
    exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
  if (ready) await waitReady(url);
  return served;
}

export async function waitReady(url: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    try {
      if ((await fetch(`${url}/v2/health/ready`)).status === 200) return;
    } catch {
      // not accepting yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the server did not become ready');
}

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export async function request(url: string, init: RequestInit & { body?: string | Buffer } = {}): Promise<Answer> {
  const res = await fetch(url, init as RequestInit);
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

export function postJson(url: string, body: unknown): Promise<Answer> {
  return request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
}

/** A metric's value from /metrics text (first sample whose labels contain `labels`), or 0 when absent. */
export function metric(text: string, name: string, labels = ''): number {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (!(rest.startsWith(' ') || rest.startsWith('{'))) continue;
    if (labels && !rest.includes(labels)) continue;
    return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return 0;
}
