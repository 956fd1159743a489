/**
 * Runs the bot simulator (`src/sim/main.ts`) as a real child process against
 * one or more pods, for tests that need lively rooms (E2E, provisioning).
 * Tokens are minted with TEST_JWT_SECRET, like `startPod`'s default.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { TEST_JWT_SECRET } from './jwt.js';
import { SERVER_DIR } from './pod.js';

export interface SimOptions {
  /** Pod WebSocket URLs (`ws://127.0.0.1:PORT`); bots spread over them. */
  urls: string[];
  rooms: number;
  clients: number;
  /** Total edits per second across all bots. */
  rate: number;
  orgs?: number;
  /** Upper bound on the run (`120s`, `5m`); tests must stay bounded. Default 120s. */
  duration?: string;
  /**
   * `--profile`: the suites written for the simulator's own conventions (`cursor: {x, y}` in [0, 1],
   * notes/meta/tasks/outline) get `sim` unless they ask for others (the CLI's default is `mix`).
   */
  profile?: string;
  /** Further CLI flags, e.g. `['--presence-interval', '200']`. */
  extraArgs?: string[];
}

export interface SimProcess {
  readonly child: ChildProcess;
  /** The last 4,000 characters of stdout + stderr (progress lines, errors) for assertion messages. */
  output(): string;
  /** SIGINT (the simulator prints its summary) and wait for the exit. Idempotent. */
  stop(): Promise<void>;
}

export function startSimulator(opts: SimOptions): SimProcess {
  const args = [
    '--import',
    'tsx',
    path.join(SERVER_DIR, 'src/sim/main.ts'),
    '--url',
    opts.urls.join(','),
    '--rooms',
    String(opts.rooms),
    '--clients',
    String(opts.clients),
    '--rate',
    String(opts.rate),
    '--orgs',
    String(opts.orgs ?? 1),
    '--duration',
    opts.duration ?? '120s',
    '--profile',
    opts.profile ?? 'sim',
    ...(opts.extraArgs ?? []),
  ];
  const child = spawn(process.execPath, args, {
    cwd: SERVER_DIR,
    env: { ...process.env, COLLAB_JWT_SECRET: TEST_JWT_SECRET },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (d: Buffer): void => {
    out = (out + d.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return {
    child,
    output: () => out,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGINT');
      await exited;
    },
  };
}
