/**
 * A throw-away PostgreSQL cluster for tests. PostgreSQL refuses to run as
 * root, so `initdb` and `postgres` run as the `postgres` user through
 * `runuser -u postgres --` (when we are root) in a temp dir chowned to it.
 * Listens on 127.0.0.1 on a free port; the socket dir is the temp dir.
 * `kill()` is an immediate shutdown (SIGQUIT to the postmaster: every
 * connection drops), `start()` brings it back on the same port and data.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, sleep, waitFor } from './ports.js';

const PG_USER = 'collab';

/** `/usr/lib/postgresql/<newest>/bin`, or null when PostgreSQL is not installed. */
export function findPgBinDir(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((v) => /^\d+$/.test(v) && existsSync(join(root, v, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], 'bin') : null;
}

function asPostgres(bin: string, args: string[]): [string, string[]] {
  if (process.getuid?.() === 0) return ['runuser', ['-u', 'postgres', '--', bin, ...args]];
  return [bin, args];
}

export class PostgresServer {
  private proc: ChildProcess | null = null;
  private constructor(
    readonly port: number,
    private readonly dir: string,
    private readonly bin: string
  ) {}

  static async start(): Promise<PostgresServer> {
    const bin = findPgBinDir();
    if (!bin)
      throw new Error('PostgreSQL not found under /usr/lib/postgresql/*/bin (scripts/ensure-system-deps.sh)');
    const dir = mkdtempSync(join(tmpdir(), 'collab-pg-'));
    if (process.getuid?.() === 0) {
      const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
      const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
      chownSync(dir, uid, gid);
    }
    const [cmd, args] = asPostgres(join(bin, 'initdb'), [
      '-D',
      join(dir, 'data'),
      '-U',
      PG_USER,
      '-A',
      'trust',
      '-E',
      'UTF8',
      '--no-locale',
      '--no-sync',
    ]);
    execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    const srv = new PostgresServer(await freePort(), dir, bin);
    await srv.start();
    return srv;
  }

  /** Connection URL of the default `postgres` database. */
  get url(): string {
    return this.urlFor('postgres');
  }

  urlFor(db: string): string {
    return `postgres://${PG_USER}@127.0.0.1:${this.port}/${db}`;
  }

  get running(): boolean {
    return this.proc !== null;
  }

  async start(): Promise<void> {
    if (this.proc) return;
    const [cmd, args] = asPostgres(join(this.bin, 'postgres'), [
      '-D',
      join(this.dir, 'data'),
      '-p',
      String(this.port),
      '-k',
      this.dir,
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'fsync=off',
      '-c',
      'full_page_writes=off',
      '-c',
      'max_connections=100',
      '-c',
      'shared_buffers=32MB',
    ]);
    const proc = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    proc.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    this.proc = proc;
    proc.on('exit', () => {
      if (this.proc === proc) this.proc = null;
    });
    try {
      await waitFor(() => acceptsConnections(this.port), 20_000, `postgres on port ${this.port}`, 50);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${stderr}`);
    }
  }

  /** Creates a database (idempotent) and returns its URL. */
  async createDatabase(name: string): Promise<string> {
    if (!/^[a-z][a-z0-9_]{0,40}$/.test(name)) throw new Error(`bad database name ${name}`);
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: this.url });
    await client.connect();
    try {
      const r = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (r.rowCount === 0) await client.query(`CREATE DATABASE ${name}`);
    } finally {
      await client.end();
    }
    return this.urlFor(name);
  }

  /** Immediate shutdown (fault injection): SIGQUIT to the postmaster. */
  async kill(): Promise<void> {
    await this.signal('SIGQUIT');
  }

  /** Fast shutdown. */
  async stop(): Promise<void> {
    await this.signal('SIGINT');
  }

  async destroy(): Promise<void> {
    await this.signal('SIGQUIT');
    rmSync(this.dir, { recursive: true, force: true });
  }

  private postmasterPid(): number | null {
    try {
      const first = readFileSync(join(this.dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0];
      const pid = Number(first);
      return Number.isInteger(pid) && pid > 0 ? pid : null;
    } catch {
      return null;
    }
  }

  private async signal(sig: NodeJS.Signals): Promise<void> {
    const proc = this.proc;
    if (!proc) return;
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    const pid = this.postmasterPid();
    // runuser forwards SIGTERM but not every signal: signal the postmaster itself.
    if (pid !== null) {
      try {
        process.kill(pid, sig);
      } catch {
        proc.kill('SIGTERM');
      }
    } else {
      proc.kill('SIGTERM');
    }
    const timeout = sleep(15_000).then(() => 'timeout' as const);
    if ((await Promise.race([exited, timeout])) === 'timeout') {
      if (pid !== null) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
      proc.kill('SIGKILL');
      await exited;
    }
    this.proc = null;
  }
}

function acceptsConnections(port: number): Promise<boolean> {
  // A startup packet for user `collab`; a ready server answers 'R' (auth) — a
  // starting one answers 'E' (the database system is starting up).
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    const done = (ok: boolean): void => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(1000, () => done(false));
    sock.on('error', () => done(false));
    sock.on('connect', () => {
      const params = Buffer.from(`user\0${PG_USER}\0database\0postgres\0\0`);
      const head = Buffer.alloc(8);
      head.writeInt32BE(8 + params.length, 0);
      head.writeInt32BE(196608, 4);
      sock.write(Buffer.concat([head, params]));
    });
    sock.on('data', (d) => done(d[0] === 0x52));
  });
}
