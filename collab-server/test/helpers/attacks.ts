/**
 * The attacks of issue 16 as reusable pieces (tests and `bench/isolation.ts`):
 *
 * - `concurrentInsertFrames(n)`: n small, valid sync-update frames, each from a NEW client id, all
 *   inserting at the same position of the same (empty) text, as n clients that never saw each
 *   other would. Yjs resolves each against all earlier ones: applying them is quadratic.
 * - `openNeverReaders(url, n)`: n raw clients that send a sync step 1 with an empty (1-byte) state
 *   vector, so the pod answers with the whole document, and never read.
 * - `holdPendingSockets(port, n)`: n TCP sockets that send part of an upgrade request and stop.
 * - `SyncPing`: a sync round trip in a room of two stock clients (A's update until B has it).
 * - `podRssBytes(pid)`: VmRSS of a process, from `/proc/<pid>/status`.
 */
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
import { YMessageType, YSyncType } from '@collabblocks/protocol';
import { connectClient, type StockClient } from './clients.js';
import { mintToken } from './jwt.js';

export function syncFrame(type: number, payload: Uint8Array): Uint8Array {
  const enc = encoding.createEncoder();
  encoding.writeVarUint(enc, YMessageType.SYNC);
  encoding.writeVarUint(enc, type);
  encoding.writeVarUint8Array(enc, payload);
  return encoding.toUint8Array(enc);
}

/** n sync-update frames, each one insert at position 0 of text `t` by a new client id (ascending). */
export function concurrentInsertFrames(n: number, firstClientId = 1_000_000): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const d = new Y.Doc();
    d.clientID = firstClientId + i;
    d.getText('t').insert(0, 'x');
    out.push(syncFrame(YSyncType.UPDATE, Y.encodeStateAsUpdate(d)));
    d.destroy();
  }
  return out;
}

/** A state vector with no entries: "send me everything" (one byte, 0x00). */
export const EMPTY_STATE_VECTOR = new Uint8Array([0]);

export interface NeverReader {
  ws: WebSocket | null;
  /** Close code the pod sent (if the client saw one) or 1006. */
  closed: Promise<number>;
}

/**
 * Opens `n` clients to `url` that each send sync step 1 with an empty state vector right after the
 * upgrade, then stop reading their socket. Resolves once every upgrade finished (or failed).
 */
export async function openNeverReaders(
  url: string,
  n: number,
  opts: { concurrency?: number } = {}
): Promise<NeverReader[]> {
  const out: NeverReader[] = [];
  const step1 = syncFrame(YSyncType.STEP1, EMPTY_STATE_VECTOR);
  const one = (): Promise<NeverReader> =>
    new Promise((resolve) => {
      const ws = new WebSocket(url, { perMessageDeflate: false });
      const closed = new Promise<number>((res) => ws.once('close', (code) => res(code)));
      ws.once('open', () => {
        ws.send(step1);
        // Stop reading: what the pod sends stays queued on its side.
        ws.pause();
        resolve({ ws, closed });
      });
      ws.once('error', () => resolve({ ws: null, closed: Promise.resolve(1006) }));
    });
  const batch = opts.concurrency ?? 10;
  for (let i = 0; i < n; i += batch) {
    out.push(...(await Promise.all(Array.from({ length: Math.min(batch, n - i) }, one))));
  }
  return out;
}

export interface PendingSocket {
  socket: net.Socket;
  /** ms after opening when the pod closed it; null while open. */
  closedAfterMs: number | null;
}

/** Opens `n` sockets to 127.0.0.1:port that send an incomplete upgrade request and then nothing. */
export async function holdPendingSockets(port: number, n: number): Promise<PendingSocket[]> {
  const out: PendingSocket[] = [];
  await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<void>((resolve) => {
          const t0 = performance.now();
          const socket = net.connect({ port, host: '127.0.0.1' });
          const entry: PendingSocket = { socket, closedAfterMs: null };
          out.push(entry);
          socket.on('error', () => undefined);
          socket.once('close', () => {
            entry.closedAfterMs = performance.now() - t0;
            resolve();
          });
          socket.once('connect', () => {
            socket.write('GET /acme/doc HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n');
            resolve();
          });
        })
    )
  );
  return out;
}

/** VmRSS of process `pid`, bytes. */
export function podRssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) * 1024;
}

/**
 * A sync round trip in one room: A inserts one character, the time until B's doc has it. Each
 * ping waits at most `timeoutMs` (a lost or late ping counts as `timeoutMs`).
 */
export class SyncPing {
  private constructor(
    readonly a: StockClient,
    readonly b: StockClient
  ) {}

  static async open(wsUrl: string, room: string, tokenA: string, tokenB: string): Promise<SyncPing> {
    const a = connectClient(wsUrl, room, tokenA);
    const b = connectClient(wsUrl, room, tokenB);
    await Promise.all([a.synced, b.synced]);
    return new SyncPing(a, b);
  }

  async once(timeoutMs: number): Promise<number> {
    const text = this.b.doc.getText('ping');
    const t0 = performance.now();
    let want = Infinity;
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        text.unobserve(check);
        resolve(performance.now() - t0);
      };
      const check = (): void => {
        if (text.length >= want) done();
      };
      const timer = setTimeout(done, timeoutMs);
      text.observe(check);
      const mine = this.a.doc.getText('ping');
      mine.insert(0, '.');
      want = mine.length;
    });
  }

  /** Pings every `everyMs` until `until()` is true or `maxCount` pings; returns the latencies. */
  async run(opts: {
    everyMs: number;
    maxCount: number;
    timeoutMs: number;
    until?: () => boolean;
  }): Promise<number[]> {
    const out: number[] = [];
    while (out.length < opts.maxCount && !(opts.until?.() ?? false)) {
      out.push(await this.once(opts.timeoutMs));
      await new Promise((r) => setTimeout(r, opts.everyMs));
    }
    return out;
  }

  destroy(): void {
    this.a.destroy();
    this.b.destroy();
  }
}

/** The q-quantile (0..1) of `xs` (nearest rank). */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] as number;
}

export interface AttackResult {
  /** Sync round trips (ms) on the quiet pod, before the attack. */
  baseline: number[];
  /** The same, while the attack runs (until the attacker is closed or the window ends). */
  underAttack: number[];
  /** Close code the attacker got (null: still open at the end of the window). */
  closeCode: number | null;
  attackMs: number;
}

const ATTACKER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'attacker.ts');

/**
 * Case 1 of issue 16 against pod `wsUrl`: baseline pings in `globex/ping`, then `frames`
 * concurrent-insert frames sent at once from one connection to `acme/attack` (by a child process,
 * `attacker.ts`), with pings every `pingEveryMs` until the attacker is closed or `windowMs` passed.
 */
export async function pingUnderAttack(
  pod: { wsUrl: string },
  opts: {
    frames: number;
    pingEveryMs: number;
    pingTimeoutMs: number;
    windowMs: number;
    baselinePings?: number;
  }
): Promise<AttackResult> {
  const child = fork(ATTACKER, [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
  });
  let closeCode: number | null = null;
  const ready = new Promise<void>((resolve, reject) => {
    child.on('message', (m: { type: string; code?: number }) => {
      if (m.type === 'ready') resolve();
      if (m.type === 'closed') closeCode = m.code ?? 1006;
    });
    child.once('exit', () => reject(new Error('attacker process exited before joining')));
  });
  const token = await mintToken({ org: 'acme', sub: 'attacker' });
  child.send({ url: `${pod.wsUrl}/acme/attack?token=${token}`, frames: opts.frames });
  const ping = await SyncPing.open(
    pod.wsUrl,
    'globex/ping',
    await mintToken({ org: 'globex', sub: 'ping-a' }),
    await mintToken({ org: 'globex', sub: 'ping-b' })
  );
  try {
    await ready;
    const baseline = await ping.run({
      everyMs: opts.pingEveryMs,
      maxCount: opts.baselinePings ?? 60,
      timeoutMs: opts.pingTimeoutMs,
    });
    const t0 = performance.now();
    child.send({ type: 'go' });
    const underAttack = await ping.run({
      everyMs: opts.pingEveryMs,
      maxCount: 1_000_000,
      timeoutMs: opts.pingTimeoutMs,
      until: () => closeCode !== null || performance.now() - t0 > opts.windowMs,
    });
    return { baseline, underAttack, closeCode, attackMs: performance.now() - t0 };
  } finally {
    ping.destroy();
    child.kill('SIGKILL');
  }
}

export function describeAttack(r: AttackResult): string {
  const f = (xs: number[], q: number): string => quantile(xs, q).toFixed(1);
  return (
    `baseline p50 ${f(r.baseline, 0.5)} p99 ${f(r.baseline, 0.99)} ms; under attack (${r.underAttack.length} pings, ` +
    `${(r.attackMs / 1000).toFixed(1)} s) p50 ${f(r.underAttack, 0.5)} p99 ${f(r.underAttack, 0.99)} ms; ` +
    `attacker close ${r.closeCode ?? 'none (still open)'}`
  );
}
