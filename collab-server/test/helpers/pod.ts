/**
 * Starts a REAL pod process (`src/main.ts` via tsx, `dist/main.js` when
 * `COLLAB_TEST_POD_DIST=1`, or `<dir>/main.js` when it names another build directory of
 * collab-server, e.g. a deliberately broken copy of dist/) on 127.0.0.1 with an ephemeral port (PORT=0; the
 * bound port is read from the pod's "collab pod listening" log line, so there
 * is no free-port race) and a temp data dir.
 *
 *   const pod = await startPod({ env: { COLLAB_ROOM_IDLE_MS: '200' } });
 *   pod.wsUrl        // ws://127.0.0.1:<port>   (rooms: `${pod.wsUrl}/<org>/<room>?token=…`)
 *   pod.httpUrl      // http://127.0.0.1:<port>
 *   await pod.stop();            // SIGTERM, waits for exit; returns { code, signal }
 *   pod.kill();                  // SIGKILL (crash), then `await pod.exited`
 *   const again = await pod.restart();   // same data dir + env, new process/port
 *   await pod.cleanup();         // stops if running and removes the temp data dir
 *
 * Defaults: HS256 with `TEST_JWT_SECRET`, API keys `TEST_API_KEYS_ENV`,
 * `COLLAB_LOG_LEVEL=info`. The parent's `COLLAB_*` / `OTEL_*` / `PORT` / `HOST`
 * variables are NOT inherited (tests stay hermetic); pass what you need in `env`.
 * Set a variable to `undefined` in `env` to remove a default (e.g.
 * `{ COLLAB_JWT_SECRET: undefined, COLLAB_AUTH_DISABLED: 'true' }`).
 * Output is kept (last 1 MiB) in `pod.output()` for assertions and debugging.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TEST_API_KEYS_ENV, TEST_JWT_SECRET } from './jwt.js';

const here = path.dirname(fileURLToPath(import.meta.url));
export const SERVER_DIR = path.resolve(here, '../..');
const MAX_OUTPUT = 1024 * 1024;
let podCounter = 0;

/** Pods still running: killed when the test process exits, so no pod outlives its test run. */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function track(proc: ChildProcess): void {
  live.add(proc);
  proc.once('exit', () => live.delete(proc));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  const killAll = (): void => {
    for (const p of live) p.kill('SIGKILL');
  };
  process.once('exit', killAll);
  // A worker torn down by a signal does not emit 'exit': kill the pods, then let the signal proceed.
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    process.once(sig, () => {
      killAll();
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    });
  }
}

export interface StartPodOptions {
  /** Environment overrides (`undefined` removes a default). */
  env?: Record<string, string | undefined>;
  /** Reuse a data dir (e.g. restart on the same DB); default a fresh temp dir. */
  dataDir?: string;
  /**
   * Remove the data dir on `cleanup()`. Default: true when this helper created
   * it; `restart()` hands the responsibility to the new pod, so cleaning up
   * every pod of a restart chain (in any order) removes the dir exactly once, at the end.
   */
  removeDataDir?: boolean;
  /** How long to wait for the listening line, default 20 s. */
  startTimeoutMs?: number;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface PodProcess {
  readonly port: number;
  readonly httpUrl: string;
  readonly wsUrl: string;
  readonly dataDir: string;
  readonly podName: string;
  readonly env: Record<string, string>;
  readonly proc: ChildProcess;
  /** Resolves when the process exits. */
  readonly exited: Promise<ExitInfo>;
  /** Combined stdout+stderr so far (bounded). */
  output(): string;
  /** Parsed JSON log lines so far. */
  logs(): Array<Record<string, unknown>>;
  /** SIGTERM and wait for exit (SIGKILL after `timeoutMs`, default 15 s). */
  stop(timeoutMs?: number): Promise<ExitInfo>;
  /** SIGKILL (simulated crash). Await `exited` afterwards. */
  kill(): void;
  /** Starts a new pod process on the same data dir and env. The old one must have exited. */
  restart(
    extraEnv?: Record<string, string | undefined>,
    opts?: { startTimeoutMs?: number }
  ): Promise<PodProcess>;
  /** Stops the pod if running and removes the temp data dir it created. */
  cleanup(): Promise<void>;
}

function baseEnv(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined) continue;
    if (k.startsWith('COLLAB_') || k.startsWith('OTEL_') || k === 'PORT' || k === 'HOST') continue;
    if (k.startsWith('VITEST') || k === 'NODE_OPTIONS') continue;
    out[k] = v;
  }
  return out;
}

function launchArgs(): { cmd: string; args: string[] } {
  const dist = process.env.COLLAB_TEST_POD_DIST;
  if (dist === '1') {
    return { cmd: process.execPath, args: ['--enable-source-maps', path.join(SERVER_DIR, 'dist/main.js')] };
  }
  // Another build directory (relative to collab-server/), e.g. a deliberately broken variant of dist/ to
  // show that a test fails against it.
  if (dist !== undefined && dist !== '' && dist !== '0') {
    return {
      cmd: process.execPath,
      args: ['--enable-source-maps', path.resolve(SERVER_DIR, dist, 'main.js')],
    };
  }
  return { cmd: process.execPath, args: ['--import', 'tsx', path.join(SERVER_DIR, 'src/main.ts')] };
}

export async function startPod(opts: StartPodOptions = {}): Promise<PodProcess> {
  let removeDir = opts.removeDataDir ?? opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'collab-pod-'));
  podCounter += 1;
  const podName = `test-pod-${process.pid}-${podCounter}`;
  const merged: Record<string, string | undefined> = {
    ...baseEnv(),
    HOST: '127.0.0.1',
    PORT: '0',
    COLLAB_POD_NAME: podName,
    COLLAB_DATA_DIR: dataDir,
    COLLAB_JWT_SECRET: TEST_JWT_SECRET,
    COLLAB_API_KEYS: TEST_API_KEYS_ENV,
    COLLAB_LOG_LEVEL: 'info',
    ...(opts.env ?? {}),
  };
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(merged)) if (v !== undefined) env[k] = v;
  // The port is read from the info-level "collab pod listening" line: a quieter level hides it, and the
  // start would wait for its timeout with no output at all (what stalled the chaos test, issue 16).
  const level = (env.COLLAB_LOG_LEVEL ?? 'info').toLowerCase();
  if (!['trace', 'debug', 'info'].includes(level)) {
    throw new Error(
      `startPod: COLLAB_LOG_LEVEL=${level} hides the info-level "collab pod listening" line it waits for; use info or lower`
    );
  }

  const { cmd, args } = launchArgs();
  const proc = spawn(cmd, args, { cwd: SERVER_DIR, env, stdio: ['ignore', 'pipe', 'pipe'] });
  track(proc);
  let out = '';
  const append = (chunk: Buffer): void => {
    out += chunk.toString('utf8');
    if (out.length > MAX_OUTPUT) out = out.slice(out.length - MAX_OUTPUT);
  };
  proc.stdout?.on('data', append);
  proc.stderr?.on('data', append);
  const exited = new Promise<ExitInfo>((resolve) => {
    proc.once('exit', (code, signal) => resolve({ code, signal }));
  });

  const port = await new Promise<number>((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`pod did not start within ${opts.startTimeoutMs ?? 20000} ms; output:\n${out}`));
    }, opts.startTimeoutMs ?? 20_000);
    const onData = (chunk: Buffer): void => {
      buffered += chunk.toString('utf8');
      let nl: number;
      while ((nl = buffered.indexOf('\n')) !== -1) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (!line.includes('collab pod listening')) continue;
        try {
          const rec = JSON.parse(line) as { port?: unknown };
          if (typeof rec.port === 'number') {
            clearTimeout(timer);
            proc.stdout?.off('data', onData);
            resolve(rec.port);
            return;
          }
        } catch {
          // not JSON; keep looking
        }
      }
    };
    proc.stdout?.on('data', onData);
    void exited.then((info) => {
      clearTimeout(timer);
      reject(
        new Error(`pod exited before listening (code ${info.code}, signal ${info.signal}); output:\n${out}`)
      );
    });
  });

  let exitInfo: ExitInfo | null = null;
  void exited.then((i) => {
    exitInfo = i;
  });

  const pod: PodProcess = {
    port,
    httpUrl: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}`,
    dataDir,
    podName,
    env,
    proc,
    exited,
    output: () => out,
    logs: () =>
      out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .flatMap((l) => {
          try {
            return [JSON.parse(l) as Record<string, unknown>];
          } catch {
            return [];
          }
        }),
    async stop(timeoutMs = 15_000) {
      if (exitInfo) return exitInfo;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
      const info = await exited;
      clearTimeout(timer);
      return info;
    },
    kill() {
      if (!exitInfo) proc.kill('SIGKILL');
    },
    async restart(extraEnv = {}, restartOpts = {}) {
      if (!exitInfo) throw new Error('restart(): stop or kill the pod first');
      const { COLLAB_DATA_DIR: _d, COLLAB_POD_NAME: _p, HOST: _h, PORT: _port, ...rest } = env;
      const next = await startPod({
        env: { ...rest, ...extraEnv },
        dataDir,
        removeDataDir: removeDir,
        ...restartOpts,
      });
      // The new pod now owns the data dir; cleaning up this (exited) pod leaves it alone.
      removeDir = false;
      return next;
    },
    async cleanup() {
      if (!exitInfo) await pod.stop();
      if (removeDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return pod;
}
