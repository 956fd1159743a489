/**
 * Starting the servers under test as real child processes on free ports:
 * the stock `@y/websocket-server` 0.1.1 from npm and our pod (`src/main.ts`
 * through tsx, or `dist/main.js` when built). Shared by the benchmark and the
 * simulator tests. Also: CPU time of a process from /proc (to see where the
 * bottleneck is).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const SERVER_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface RunningServer {
  name: string;
  url: string;
  port: number;
  pid: number;
  /** Last lines of its stdout/stderr (bounded), for error messages. */
  output(): string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

async function waitForPort(
  port: number,
  child: ChildProcess,
  timeoutMs: number,
  out: () => string
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`server exited early (${child.exitCode ?? child.signalCode}):\n${out()}`);
    }
    const ok = await new Promise<boolean>((resolve) => {
      const sock = net.connect(port, '127.0.0.1');
      sock.once('connect', () => {
        sock.destroy();
        resolve(true);
      });
      sock.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`server did not listen on ${port} within ${timeoutMs} ms:\n${out()}`);
}

function startProcess(
  name: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  port: number,
  timeoutMs: number
): Promise<RunningServer> {
  const child = spawn(process.execPath, args, {
    cwd: SERVER_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const keep = (chunk: Buffer): void => {
    for (const l of chunk.toString('utf8').split('\n')) {
      if (l.length === 0) continue;
      lines.push(l.length > 500 ? l.slice(0, 500) + '…' : l);
      if (lines.length > 40) lines.shift();
    }
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const output = (): string => lines.join('\n');
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const server: RunningServer = {
    name,
    url: `ws://127.0.0.1:${port}`,
    port,
    pid: child.pid ?? -1,
    output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    },
  };
  return waitForPort(port, child, timeoutMs, output).then(
    () => server,
    async (err: unknown) => {
      await server.stop();
      throw err;
    }
  );
}

/** The stock y-websocket server (in-memory, no persistence, no auth). */
export async function startStockServer(): Promise<RunningServer> {
  const require = createRequire(import.meta.url);
  const pkgJson = require.resolve('@y/websocket-server/package.json');
  const script = path.join(path.dirname(pkgJson), 'src', 'server.js');
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOST: '127.0.0.1', PORT: String(port) };
  return startProcess('stock @y/websocket-server 0.1.1', [script], env, port, 10_000);
}

export function podEntryAvailable(): boolean {
  return (
    existsSync(path.join(SERVER_ROOT, 'src', 'main.ts')) ||
    existsSync(path.join(SERVER_ROOT, 'dist', 'main.js'))
  );
}

/**
 * Our pod as a child process. Uses `dist/main.js` when it is at least as new as
 * `src/main.ts` (what production runs), else `src/main.ts` through tsx.
 */
export async function startPod(
  name: string,
  env: Record<string, string>,
  timeoutMs = 20_000
): Promise<RunningServer> {
  const port = await freePort();
  const dist = path.join(SERVER_ROOT, 'dist', 'main.js');
  const src = path.join(SERVER_ROOT, 'src', 'main.ts');
  const useDist = process.env.BENCH_POD_FROM_DIST === '1' && existsSync(dist);
  // e.g. BENCH_POD_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the pod under load.
  const extra = (process.env.BENCH_POD_NODE_ARGS ?? '').split(/\s+/).filter((a) => a.length > 0);
  const args = useDist ? [...extra, '--enable-source-maps', dist] : [...extra, '--import', 'tsx', src];
  if (!useDist && !existsSync(src)) throw new Error(`pod entry not found: ${src}`);
  const fullEnv: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    HOST: '127.0.0.1',
    PORT: String(port),
    COLLAB_POD_NAME: name.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 63),
    COLLAB_LOG_LEVEL: 'warn',
    ...env,
  };
  return startProcess(name, args, fullEnv, port, timeoutMs);
}

const CLK_TCK = 100;

/** User + system CPU seconds a process (and its threads) used so far; null if unreadable. */
export function processCpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields after ")" start at field 3 (state); utime is field 14, stime 15.
    const utime = Number(rest[11]);
    const stime = Number(rest[12]);
    if (!Number.isFinite(utime) || !Number.isFinite(stime)) return null;
    return (utime + stime) / CLK_TCK;
  } catch {
    return null;
  }
}

/** Resident set size in MiB; null if unreadable. */
export function processRssMiB(pid: number): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /VmRSS:\s+(\d+) kB/.exec(status);
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/** Whole-machine CPU jiffies (all cores) from /proc/stat: busy and total; null if unreadable. */
export function machineCpuJiffies(): { busy: number; total: number } | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    if (f.length < 4 || f.some((v) => !Number.isFinite(v))) return null;
    const idle = (f[3] ?? 0) + (f[4] ?? 0); // idle + iowait
    const total = f.reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  } catch {
    return null;
  }
}
