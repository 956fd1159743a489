/**
 * A throw-away `redis-server` for tests: 127.0.0.1, a free port, a temp dir,
 * no persistence. `stop()` kills it (SIGKILL for fault tests via `kill()`),
 * `start()` brings it back on the same port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from './ports.js';

export class RedisServer {
  private proc: ChildProcess | null = null;
  private constructor(
    readonly port: number,
    private readonly dir: string
  ) {}

  static async start(): Promise<RedisServer> {
    const dir = mkdtempSync(join(tmpdir(), 'collab-redis-'));
    const srv = new RedisServer(await freePort(), dir);
    await srv.start();
    return srv;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.proc !== null;
  }

  async start(): Promise<void> {
    if (this.proc) return;
    const proc = spawn(
      'redis-server',
      [
        '--bind',
        '127.0.0.1',
        '--port',
        String(this.port),
        '--dir',
        this.dir,
        '--save',
        '',
        '--appendonly',
        'no',
        '--protected-mode',
        'yes',
        '--loglevel',
        'warning',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] }
    );
    this.proc = proc;
    proc.on('exit', () => {
      if (this.proc === proc) this.proc = null;
    });
    await waitFor(() => ping(this.port), 10_000, `redis-server on port ${this.port}`, 50);
  }

  /** Hard kill (fault injection). */
  async kill(): Promise<void> {
    await this.terminate('SIGKILL');
  }

  async stop(): Promise<void> {
    await this.terminate('SIGTERM');
  }

  async destroy(): Promise<void> {
    await this.terminate('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async terminate(signal: NodeJS.Signals): Promise<void> {
    const proc = this.proc;
    if (!proc) return;
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    proc.kill(signal);
    await exited;
    this.proc = null;
  }
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    let buf = '';
    const done = (ok: boolean): void => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(500, () => done(false));
    sock.on('error', () => done(false));
    sock.on('connect', () => sock.write('PING\r\n'));
    sock.on('data', (d) => {
      buf += d.toString();
      if (buf.includes('\r\n')) done(buf.startsWith('+PONG'));
    });
  });
}
