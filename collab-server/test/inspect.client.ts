/**
 * A real inspect client for tests and the bench: a `ws` socket to `/inspect`
 * that keeps every raw frame (for "no value leaks" assertions) and validates
 * each frame against the shared protocol schema.
 */
import WebSocket from 'ws';
import {
  parseInspectServerMessage,
  type InspectScope,
  type InspectServerMessage,
  type InspectTokenResponse,
  type TreeNode,
} from '@collabblocks/protocol';
import { connectClient, type StockClient } from './helpers/clients.js';
import { mintToken, TEST_API_KEYS } from './helpers/jwt.js';

export const KEYS = {
  metadata: TEST_API_KEYS.acme.key,
  content: TEST_API_KEYS.acmeContent.key,
  globex: TEST_API_KEYS.globex.key,
};

export async function mintInspect(
  httpUrl: string,
  key: string,
  scope: InspectScope,
  ttlSeconds?: number
): Promise<InspectTokenResponse> {
  const res = await fetch(`${httpUrl}/api/inspect/token`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ scope, ...(ttlSeconds !== undefined ? { ttlSeconds } : {}) }),
  });
  if (res.status !== 200) throw new Error(`mint failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as InspectTokenResponse;
}

export class InspectClient {
  readonly raw: string[] = [];
  readonly messages: InspectServerMessage[] = [];
  readonly invalid: string[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  closeInfo: { code: number; reason: string } | null = null;
  private waiters: Array<() => void> = [];
  private reqCounter = 0;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const text = (data as Buffer).toString('utf8');
      this.raw.push(text);
      const parsed = parseInspectServerMessage(text);
      if (parsed.ok) this.messages.push(parsed.value);
      else this.invalid.push(`${parsed.error}: ${text.slice(0, 200)}`);
      for (const w of this.waiters.splice(0)) w();
    });
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.closeInfo = { code, reason: reason.toString('utf8') };
        resolve(this.closeInfo);
        for (const w of this.waiters.splice(0)) w();
      });
    });
    ws.on('error', () => undefined);
  }

  /** `localAddress`: the client's source address (e.g. 127.0.0.2, to act as another host). */
  static open(
    wsUrl: string,
    path = '/inspect',
    opts: { localAddress?: string } = {}
  ): Promise<InspectClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`${wsUrl}${path}`, opts);
      const c = new InspectClient(ws);
      ws.once('open', () => resolve(c));
      ws.once('error', reject);
    });
  }

  send(msg: Record<string, unknown>): void {
    this.ws.send(JSON.stringify({ v: 1, ...msg }));
  }

  nextId(): string {
    return `r${++this.reqCounter}`;
  }

  /** Waits until a message matching `pred` arrived (searching from index `from`). */
  async waitFor<T extends InspectServerMessage>(
    pred: (m: InspectServerMessage) => m is T,
    timeoutMs?: number,
    from?: number
  ): Promise<T>;
  async waitFor(
    pred: (m: InspectServerMessage) => boolean,
    timeoutMs?: number,
    from?: number
  ): Promise<InspectServerMessage>;
  async waitFor(
    pred: (m: InspectServerMessage) => boolean,
    timeoutMs = 5000,
    from = 0
  ): Promise<InspectServerMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.slice(from).find(pred);
      if (found) return found;
      if (this.closeInfo) throw new Error(`socket closed ${this.closeInfo.code} ${this.closeInfo.reason}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timed out waiting for inspect message');
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  async auth(token: string, extra: Record<string, unknown> = {}): Promise<InspectServerMessage> {
    const id = this.nextId();
    this.send({ type: 'auth', id, token, ...extra });
    return this.waitFor((m) => 'id' in m && m.id === id);
  }

  /** Subscribes and returns the subscription id. */
  async subscribe(stream: string, room?: string): Promise<string> {
    const id = this.nextId();
    this.send({ type: 'subscribe', id, stream, ...(room !== undefined ? { room } : {}) });
    const m = await this.waitFor((x) => 'id' in x && x.id === id);
    if (m.type !== 'subscribed') throw new Error(`subscribe failed: ${JSON.stringify(m)}`);
    return m.sub;
  }

  /** Sends a request and waits for the first message carrying its id. */
  async request(msg: Record<string, unknown>, timeoutMs = 5000): Promise<InspectServerMessage> {
    const id = this.nextId();
    this.send({ ...msg, id });
    return this.waitFor((m) => 'id' in m && m.id === id, timeoutMs);
  }

  ofType<K extends InspectServerMessage['type']>(
    type: K,
    sub?: string
  ): Array<Extract<InspectServerMessage, { type: K }>> {
    return this.messages.filter(
      (m): m is Extract<InspectServerMessage, { type: K }> =>
        m.type === type && (sub === undefined || ('sub' in m && m.sub === sub))
    );
  }

  close(): void {
    this.ws.close();
  }
}

/** Where a test's inspect clients and editors connect: a pod, or any other host of the bridge. */
export interface InspectTarget {
  readonly httpUrl: string;
  readonly wsUrl: string;
}

/**
 * An inspect client on `target`'s `/inspect`, authenticated with a token minted with `key` at `scope`
 * (`ttlSeconds`: the token's lifetime; default the host's). Added to `track` (closed by the test's
 * afterAll) before it authenticates; throws unless the host answers `authenticated`.
 */
export async function openInspector(
  target: InspectTarget,
  key: string,
  scope: InspectScope,
  track: InspectClient[],
  ttlSeconds?: number
): Promise<InspectClient> {
  const c = await InspectClient.open(target.wsUrl);
  track.push(c);
  const tok = await mintInspect(target.httpUrl, key, scope, ttlSeconds);
  const m = await c.auth(tok.token);
  if (m.type !== 'authenticated') throw new Error(`inspect auth answered ${JSON.stringify(m)}`);
  return c;
}

/**
 * A stock y-websocket editor in `room` on a pod, as user `sub` named `name` (a JWT of the room's org),
 * publishing `awareness`; added to `track` (destroyed by the test's afterAll) before it syncs; resolves
 * once synced.
 */
export async function connectEditor(
  wsUrl: string,
  room: string,
  sub: string,
  name: string,
  awareness?: Record<string, unknown>,
  track?: StockClient[]
): Promise<StockClient> {
  const token = await mintToken({ org: room.split('/')[0] as string, sub, name });
  const c = connectClient(wsUrl, room, token, awareness ? { awareness } : {});
  track?.push(c);
  await c.synced;
  return c;
}

/** Applies tree snapshot chunks + patches of one subscription to a path → node view. */
export function treeView(c: InspectClient, sub: string): Map<string, TreeNode> {
  const view = new Map<string, TreeNode>();
  for (const m of c.messages) {
    if (!('sub' in m) || m.sub !== sub) continue;
    if (m.type === 'treeSnapshot') {
      if (m.chunk === 0) view.clear();
      for (const n of m.nodes) view.set(n.path, n);
    } else if (m.type === 'treePatch') {
      for (const r of m.removed)
        for (const k of [...view.keys()]) if (k === r || k.startsWith(r + '/')) view.delete(k);
      for (const n of [...m.added, ...m.changed]) view.set(n.path, n);
    }
  }
  return view;
}
