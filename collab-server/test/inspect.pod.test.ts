/**
 * The inspect bridge against a REAL pod process: stock y-websocket clients edit,
 * real inspect clients (ws) watch. Covers token minting, auth close codes,
 * every stream, scope redaction on the raw frames, expiry / re-auth, org
 * isolation and bad input.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import * as Y from 'yjs';
import {
  CloseCode,
  INSPECT_FEATURES,
  INSPECT_SCHEMA_REVISION,
  type TreeNode,
  type InspectServerMessage,
} from '@collabblocks/protocol';
import { startPod, type PodProcess } from './helpers/pod.js';
import { sleep, waitFor, type StockClient } from './helpers/clients.js';
import { mintToken, TEST_JWT_SECRET } from './helpers/jwt.js';
import {
  connectEditor,
  InspectClient,
  KEYS,
  mintInspect,
  openInspector as openAuthenticated,
  treeView,
} from './inspect.client.js';
import { resolveInspectSecret } from '@collabblocks/monitor';

let pod: PodProcess;
const clients: StockClient[] = [];
const inspectors: InspectClient[] = [];
const secret = resolveInspectSecret({ jwtSecret: TEST_JWT_SECRET }) as Uint8Array;

const SECRET_TEXT = 'zebra-quartz-typed-words';
const MAP_VALUE = 'ultraviolet-plan-title';
const NAME_A = 'Alice Wonderland';
const NAME_B = 'Bobby Tables';
const NAME_C = 'Carol Quux';
/** A free-text awareness status: metadata scope must never carry it (only editing/idle/away/unknown). */
const STATUS_TEXT = 'on a call with Zorblax';

const openInspector = (scope: 'metadata' | 'content' = 'content', ttl?: number): Promise<InspectClient> =>
  openAuthenticated(pod, scope === 'content' ? KEYS.content : KEYS.metadata, scope, inspectors, ttl);

const client = (
  room: string,
  name: string,
  sub: string,
  cursor = { x: 0.2, y: 0.3 },
  status = 'editing'
): Promise<StockClient> =>
  connectEditor(pod.wsUrl, room, sub, name, { user: { name, color: '#ff0000' }, cursor, status }, clients);

beforeAll(async () => {
  pod = await startPod({ env: { COLLAB_COMPACT_OPS: '5', COLLAB_COMPACT_INTERVAL_MS: '200' } });
});

afterAll(async () => {
  for (const i of inspectors) i.ws.terminate();
  for (const c of clients) c.destroy();
  await pod?.cleanup();
});

describe('token endpoint', () => {
  const post = (path: string, key: string | null, body?: unknown): Promise<Response> =>
    fetch(`${pod.httpUrl}${path}`, {
      method: 'POST',
      headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), 'content-type': 'application/json' },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });

  it('mints tokens within the key scope and refuses the rest with clear errors', async () => {
    expect((await post('/api/inspect/token', null, { scope: 'metadata' })).status).toBe(401);
    expect((await post('/api/inspect/token', 'nope-not-a-key', { scope: 'metadata' })).status).toBe(401);
    const forbidden = await post('/api/inspect/token', KEYS.metadata, { scope: 'content' });
    expect(forbidden.status).toBe(403);
    expect(((await forbidden.json()) as { error: string }).error).toMatch(/at most 'metadata'/);
    expect((await post('/api/inspect/token/content', KEYS.metadata)).status).toBe(403);
    expect((await post('/api/inspect/token', KEYS.metadata, { scope: 'bogus' })).status).toBe(400);
    expect(
      (await post('/api/inspect/token', KEYS.metadata, { scope: 'metadata', ttlSeconds: 999_999 })).status
    ).toBe(400);

    const t0 = Date.now();
    const ok = await post('/api/inspect/token', KEYS.content, { scope: 'content' });
    expect(ok.status).toBe(200);
    const body = (await ok.json()) as { token: string; expiresAt: number; scope: string; org: string };
    expect(body).toMatchObject({ scope: 'content', org: 'acme' });
    // 5 min default
    expect(body.expiresAt - t0).toBeGreaterThan(290_000);
    expect(body.expiresAt - t0).toBeLessThan(310_000);

    const byPath = await post('/api/inspect/token/metadata', KEYS.content);
    expect(byPath.status).toBe(200);
    expect(((await byPath.json()) as { scope: string }).scope).toBe('metadata');
    const short = await post('/api/inspect/token/content', KEYS.content, { ttlSeconds: 30 });
    const sb = (await short.json()) as { expiresAt: number };
    expect(sb.expiresAt - Date.now()).toBeLessThan(31_000);
  });
});

describe('inspect socket authentication', () => {
  const closeOf = async (c: InspectClient): Promise<{ code: number; reason: string }> => c.closed;

  it('closes unauthenticated sockets after 2 s with AUTH_TIMEOUT', async () => {
    const c = await InspectClient.open(pod.wsUrl);
    const hello = await c.waitFor((m) => m.type === 'hello');
    expect(hello).toMatchObject({ type: 'hello', authTimeoutMs: 2000 });
    // What this pod understands (INSPECT.md "Revision 2"): a client can tell an older pod apart.
    expect(hello).toMatchObject({ revision: INSPECT_SCHEMA_REVISION });
    expect([...((hello as { features?: string[] }).features ?? [])].sort()).toEqual(
      [...INSPECT_FEATURES].sort()
    );
    const t0 = Date.now();
    const { code } = await closeOf(c);
    expect(code).toBe(CloseCode.AUTH_TIMEOUT);
    expect(Date.now() - t0).toBeGreaterThan(1500);
  });

  it('distinguishes bad, expired, foreign-audience, malformed and URL tokens', async () => {
    const bad = await InspectClient.open(pod.wsUrl);
    bad.send({ type: 'auth', token: 'not.a.jwt' });
    expect((await bad.closed).code).toBe(CloseCode.AUTH_INVALID);

    const now = Math.floor(Date.now() / 1000);
    const expiredTok = await new SignJWT({ org: 'acme', scope: 'content' })
      .setProtectedHeader({ alg: 'HS256' })
      .setAudience('inspect')
      .setIssuer('collab-pod')
      .setIssuedAt(now - 120)
      .setExpirationTime(now - 60)
      .sign(secret);
    const exp = await InspectClient.open(pod.wsUrl);
    exp.send({ type: 'auth', token: expiredTok });
    expect((await exp.closed).code).toBe(CloseCode.AUTH_EXPIRED);
    expect(exp.ofType('error')[0]?.code).toBe('auth_expired');

    // A client (editing) JWT is not an inspect token.
    const clientTok = await mintToken({ org: 'acme', sub: 'x' });
    const wrongAud = await InspectClient.open(pod.wsUrl);
    wrongAud.send({ type: 'auth', token: clientTok });
    expect((await wrongAud.closed).code).toBe(CloseCode.AUTH_INVALID);

    const garbage = await InspectClient.open(pod.wsUrl);
    garbage.ws.send('{{{');
    expect((await garbage.closed).code).toBe(CloseCode.MALFORMED_MESSAGE);

    const early = await InspectClient.open(pod.wsUrl);
    early.send({ type: 'subscribe', id: 'x', stream: 'rooms' });
    expect((await early.closed).code).toBe(CloseCode.AUTH_MISSING);

    const tok = await mintInspect(pod.httpUrl, KEYS.content, 'content');
    const inUrl = await InspectClient.open(pod.wsUrl, `/inspect?token=${tok.token}`);
    expect((await inUrl.closed).code).toBe(CloseCode.AUTH_INVALID);

    const meta = await mintInspect(pod.httpUrl, KEYS.metadata, 'metadata');
    const scoped = await InspectClient.open(pod.wsUrl);
    scoped.send({ type: 'auth', token: meta.token, scope: 'content' });
    expect((await scoped.closed).code).toBe(CloseCode.SCOPE_INSUFFICIENT);
  });

  it('ends the stream at token expiry unless re-authenticated on the same socket', async () => {
    const room = 'acme/expiry';
    const writer = await client(room, NAME_A, 'alice-exp');
    const expiring = await openInspector('content', 3);
    const renewed = await openInspector('content', 2);
    await expiring.subscribe('rooms');
    const upd = await renewed.subscribe('updates', room);
    const auth = renewed.ofType('authenticated')[0];
    const expiresAt = expiring.ofType('authenticated')[0]?.expiresAt ?? 0;
    // Re-auth before the first token expires, with one that outlives it by seconds.
    const fresh = await mintInspect(pod.httpUrl, KEYS.content, 'content', 10);
    const re = await renewed.auth(fresh.token);
    expect(re).toMatchObject({ type: 'authenticated', reauth: true });
    // Not late: the pod's own expiry timer ends the stream, with no further frame from the client (were the
    // expiry only checked on the next frame, it would never close: the test's timeout). Asserted on events,
    // not on a wall-clock bound that a loaded machine stretches.
    const closed = await expiring.closed;
    const closedAt = Date.now();
    expect(closed.code).toBe(CloseCode.AUTH_EXPIRED);
    expect(expiring.ofType('error').at(-1)).toMatchObject({ code: 'auth_expired', fatal: true });
    // Not early: never before the token's expiry (same clock as the pod).
    expect(closedAt).toBeGreaterThanOrEqual(expiresAt);
    // The re-authenticated stream outlives its original token and still delivers data.
    expect(auth).toBeDefined();
    await sleep(Math.max(0, (auth?.expiresAt ?? 0) - Date.now()) + 300);
    expect(renewed.closeInfo).toBeNull();
    const from = renewed.messages.length;
    writer.doc.getText('t').insert(0, 'after the first token expired');
    const after = await renewed.waitFor((m) => m.type === 'updates' && m.sub === upd, 5000, from);
    expect(after.type === 'updates' && after.items.some((i) => i.paths.includes('/t'))).toBe(true);
    // Re-auth with another org's token is refused.
    const globex = await mintInspect(pod.httpUrl, KEYS.globex, 'metadata');
    renewed.send({ type: 'auth', token: globex.token });
    expect((await renewed.closed).code).toBe(CloseCode.AUTH_WRONG_ORG);
  });
});

describe('streams', () => {
  it('carry what the clients did; metadata scope never carries values or names', async () => {
    const room = 'acme/streams';
    const content = await openInspector('content');
    const meta = await openInspector('metadata');
    const subs: Record<string, Record<string, string>> = { content: {}, meta: {} };
    for (const [label, c] of [
      ['content', content],
      ['meta', meta],
    ] as const) {
      for (const s of ['tree', 'updates', 'traffic', 'presence', 'metrics'] as const) {
        (subs[label] as Record<string, string>)[s] = await c.subscribe(s, room);
      }
      (subs[label] as Record<string, string>).rooms = await c.subscribe('rooms');
    }
    const a = await client(room, NAME_A, 'alice-sub', { x: 0.25, y: 0.75 });
    const b = await client(room, NAME_B, 'bob-sub', { x: 0.5, y: 0.5 });
    await client(room, NAME_C, 'carol-sub', { x: 0.1, y: 0.1 }, STATUS_TEXT);
    a.doc.getText('text').insert(0, SECRET_TEXT);
    b.doc.getMap('meta').set('title', MAP_VALUE);
    const task = new Y.Map<unknown>();
    b.doc.getArray<unknown>('tasks').push([task]);
    task.set('done', true);
    await waitFor(() => a.doc.getMap('meta').get('title') === MAP_VALUE, 5000, 'convergence');
    await waitFor(() => b.doc.getText('text').toString() === SECRET_TEXT, 5000, 'convergence');

    const cs = subs.content as Record<string, string>;
    // tree: snapshot then patches; the view equals the clients' document
    await waitFor(
      () => {
        const v = treeView(content, cs.tree as string);
        return (
          v.get('/text')?.value === SECRET_TEXT &&
          v.get('/meta/title')?.value === MAP_VALUE &&
          v.has('/tasks/0/done')
        );
      },
      5000,
      'tree view to match the document'
    );
    expect(content.ofType('treeSnapshot', cs.tree).length).toBeGreaterThan(0);
    // Subscribed before the room existed on the pod: stored (empty) snapshot, then a reload when it loaded.
    expect(content.ofType('resync', cs.tree).map((m) => m.reason)).toContain('reload');
    const view = treeView(content, cs.tree as string);
    expect(view.get('/tasks')).toMatchObject({ type: 'Array', size: 1, children: 1 });
    expect(view.get('/tasks/0/done')).toMatchObject({ type: 'value', value: true, depth: 3 });
    expect(view.get('/text')?.lastTime).toBeGreaterThan(0);

    // updates: summaries with paths, previews (content)
    await waitFor(
      () => content.ofType('updates', cs.updates).flatMap((m) => m.items).length >= 4,
      5000,
      'updates'
    );
    const items = content.ofType('updates', cs.updates).flatMap((m) => m.items);
    const textUpdate = items.find((i) => i.paths.includes('/text'));
    expect(textUpdate).toMatchObject({ origin: 'client', inserted: SECRET_TEXT.length });
    expect(textUpdate?.seq).toBeGreaterThan(0);
    expect(textUpdate?.conn).toMatch(/^c_/);
    expect(textUpdate?.user).toMatch(/^u_/);
    expect(JSON.stringify(textUpdate?.preview)).toContain(SECRET_TEXT);
    expect(items.some((i) => i.paths.includes('/meta/title'))).toBe(true);

    // traffic: frames in and out with kinds
    // Traffic is flushed in batches: wait until the batches so far hold every kind expected.
    const trafficFrames = () => content.ofType('traffic', cs.traffic).flatMap((m) => m.frames);
    await waitFor(
      () => {
        const frames = trafficFrames();
        return (
          frames.some((f) => f.direction === 'in' && f.kind === 'sync-update') &&
          frames.some((f) => f.direction === 'out' && f.kind === 'sync-update') &&
          frames.some((f) => f.kind === 'awareness')
        );
      },
      5000,
      'traffic with updates in and out and awareness'
    );

    // presence: names and colours only in content scope, cursors always
    await waitFor(
      () => {
        const users = content
          .ofType('presencePatch', cs.presence)
          .flatMap((m) => m.joined.concat(m.updated))
          .concat(content.ofType('presenceSnapshot', cs.presence).flatMap((m) => m.users));
        return [NAME_A, NAME_B, NAME_C].every((n) => users.some((u) => u.name === n));
      },
      5000,
      'presence'
    );
    const contentUsers = content
      .ofType('presencePatch', cs.presence)
      .flatMap((m) => m.joined.concat(m.updated));
    const alice = contentUsers.find((u) => u.name === NAME_A);
    expect(alice).toMatchObject({ cursor: { x: 0.25, y: 0.75 }, status: 'editing', color: '#ff0000' });
    expect(alice?.user).toMatch(/^u_/);
    // Content scope carries a free-text status as the client sent it.
    const carol = contentUsers.find((u) => u.name === NAME_C);
    expect(carol?.status).toBe(STATUS_TEXT);

    // metrics every second
    await waitFor(
      () => content.ofType('metrics', cs.metrics).some((m) => m.connections === 3 && m.bytesIn > 0),
      5000,
      'metrics'
    );
    // rooms list
    await waitFor(
      () =>
        content
          .ofType('rooms', cs.rooms)
          .some((m) => m.rooms.some((r) => r.room === room && r.loaded && r.connections === 3)),
      8000,
      'rooms list'
    );

    // metadata session: got the same structure, without any value or display name
    const ms = subs.meta as Record<string, string>;
    await waitFor(() => treeView(meta, ms.tree as string).has('/tasks/0/done'), 5000, 'metadata tree');
    await waitFor(() => meta.ofType('updates', ms.updates).length > 0, 5000, 'metadata updates');
    const metaUsers = () =>
      meta.ofType('presencePatch', ms.presence).flatMap((m) => m.joined.concat(m.updated));
    await waitFor(() => metaUsers().some((u) => u.clientId === carol?.clientId), 5000, 'metadata presence');
    const mview = treeView(meta, ms.tree as string);
    expect(mview.get('/text')).toMatchObject({ type: 'Text', size: SECRET_TEXT.length });
    expect(mview.get('/text')?.value).toBeUndefined();
    const metaUser = metaUsers()[0];
    expect(metaUser?.cursor).not.toBeNull();
    expect(metaUser?.name).toBeUndefined();
    // Statuses: only a value from the fixed list (free text → unknown).
    expect(metaUsers().find((u) => u.clientId === alice?.clientId)?.status).toBe('editing');
    expect(metaUsers().find((u) => u.clientId === carol?.clientId)?.status).toBe('unknown');
    for (const u of metaUsers()) expect(['editing', 'idle', 'away', 'unknown']).toContain(u.status);
    const rawMeta = meta.raw.join('\n');
    for (const secretText of [
      SECRET_TEXT,
      MAP_VALUE,
      NAME_A,
      NAME_B,
      NAME_C,
      'Alice',
      'Bobby',
      'Carol',
      'Zorblax',
    ]) {
      expect(rawMeta.includes(secretText), `metadata frames leak "${secretText}"`).toBe(false);
    }
    // A published colour that is a plain CSS colour is not personal: Viewers see users in it (issue 13).
    expect(metaUsers().find((u) => u.clientId === alice?.clientId)?.color).toBe('#ff0000');
    const rawContent = content.raw.join('\n');
    expect(rawContent).toContain(SECRET_TEXT);
    expect(rawContent).toContain(NAME_A);
    expect(meta.invalid).toEqual([]);
    expect(content.invalid).toEqual([]);
  });

  it('isolates orgs', async () => {
    const acme = await openInspector('content');
    const tok = await mintInspect(pod.httpUrl, KEYS.globex, 'metadata');
    const globex = await InspectClient.open(pod.wsUrl);
    inspectors.push(globex);
    await globex.auth(tok.token);
    const err = await globex.request({ type: 'subscribe', stream: 'tree', room: 'acme/streams' });
    expect(err).toMatchObject({ type: 'error', code: 'wrong_org', fatal: false });
    const hist = await globex.request({ type: 'history', room: 'acme/streams', fromTs: 0, toTs: 1000 });
    expect(hist).toMatchObject({ type: 'error', code: 'wrong_org' });
    const sub = await globex.subscribe('rooms');
    const list = await globex.waitFor((m) => m.type === 'rooms' && m.sub === sub);
    expect(JSON.stringify(list)).not.toContain('acme/');
    const acmeRooms = await acme.subscribe('rooms');
    const al = await acme.waitFor((m) => m.type === 'rooms' && m.sub === acmeRooms);
    expect(JSON.stringify(al)).toContain('acme/streams');
  });

  it('history: the log for a range with paging, and the tree at T equals the document at T', async () => {
    const room = 'acme/history';
    const a = await client(room, NAME_A, 'alice-h');
    const text = a.doc.getText('text');
    const map = a.doc.getMap<unknown>('meta');
    const seen = await client(room, NAME_B, 'bob-h');
    const t0 = Date.now();
    text.insert(0, 'first version');
    map.set('stage', 'draft');
    await waitFor(() => seen.doc.getMap('meta').get('stage') === 'draft', 5000, 'broadcast 1');
    await sleep(30);
    const T1 = Date.now();
    const atT1 = { text: text.toString(), meta: map.toJSON() };
    await sleep(30);
    text.insert(0, 'second ');
    map.set('stage', 'review');
    map.set('owner', 'x');
    text.delete(0, 3);
    await waitFor(() => seen.doc.getMap('meta').get('owner') === 'x', 5000, 'broadcast 2');
    await sleep(400); // let a compaction snapshot happen (COLLAB_COMPACT_OPS=5)
    const final = { text: text.toString(), meta: map.toJSON() };

    const c = await openInspector('content');
    const page1 = (await c.request({
      type: 'history',
      room,
      fromTs: t0 - 10,
      toTs: Date.now(),
      limit: 2,
    })) as Extract<InspectServerMessage, { type: 'history' }>;
    expect(page1.type).toBe('history');
    expect(page1.entries).toHaveLength(2);
    expect(page1.nextAfterSeq).toBe(page1.entries[1]?.seq);
    const rest = (await c.request({
      type: 'history',
      room,
      fromTs: t0 - 10,
      toTs: Date.now(),
      afterSeq: page1.nextAfterSeq,
      limit: 100,
    })) as Extract<InspectServerMessage, { type: 'history' }>;
    expect(rest.nextAfterSeq).toBeNull();
    const all = page1.entries.concat(rest.entries);
    expect(all.length).toBeGreaterThanOrEqual(6);
    expect(all.map((e) => e.seq)).toEqual([...all.map((e) => e.seq)].sort((x, y) => (x ?? 0) - (y ?? 0)));
    expect(all.some((e) => e.paths.includes('/meta/stage'))).toBe(true);

    const treeAt = async (at: number): Promise<Map<string, TreeNode>> => {
      const id = c.nextId();
      c.send({ type: 'historyTree', id, room, at });
      await c.waitFor((m) => m.type === 'historyTree' && m.id === id && m.last);
      const nodes = c
        .ofType('historyTree')
        .filter((m) => m.id === id)
        .flatMap((m) => m.nodes);
      return new Map(nodes.map((n) => [n.path, n]));
    };
    const v1 = await treeAt(T1);
    expect(v1.get('/text')?.value).toBe(atT1.text);
    expect(v1.get('/meta/stage')?.value).toBe((atT1.meta as Record<string, unknown>).stage);
    expect(v1.has('/meta/owner')).toBe(false);
    const v2 = await treeAt(Date.now());
    expect(v2.get('/text')?.value).toBe(final.text);
    expect(v2.get('/meta/stage')?.value).toBe('review');
    expect(v2.get('/meta/owner')?.value).toBe('x');
    const v0 = await treeAt(t0 - 1000);
    expect(v0.has('/text')).toBe(false);

    // metadata scope: no values in history either
    const m = await openInspector('metadata');
    const mh = await m.request({ type: 'history', room, fromTs: t0 - 10, toTs: Date.now() });
    const id = m.nextId();
    m.send({ type: 'historyTree', id, room, at: Date.now() });
    await m.waitFor((x) => x.type === 'historyTree' && x.id === id && x.last);
    expect(mh.type).toBe('history');
    expect(m.raw.join('\n')).not.toContain('first version');
    expect(m.raw.join('\n')).not.toContain('review');
  });
});

describe('bad input', () => {
  it('answers each with a clear error and keeps the pod and other sessions working', async () => {
    const c = await openInspector('metadata');
    const other = await openInspector('metadata');
    const otherRooms = await other.subscribe('rooms');

    const unknown = await c.request({ type: 'explode' });
    expect(unknown).toMatchObject({ type: 'error', code: 'unknown_type', fatal: false });
    const badRoom = await c.request({ type: 'subscribe', stream: 'tree', room: '../etc' });
    expect(badRoom).toMatchObject({ type: 'error', code: 'room_invalid' });
    const badRoom2 = await c.request({ type: 'subscribe', stream: 'tree', room: 'acme/UPPER' });
    expect(badRoom2).toMatchObject({ type: 'error', code: 'room_invalid' });
    const noRoom = await c.request({ type: 'subscribe', stream: 'tree' });
    expect(noRoom).toMatchObject({ type: 'error', code: 'malformed' });
    const huge = await c.request({ type: 'history', room: 'acme/x', fromTs: 0, toTs: Date.now() });
    expect(huge).toMatchObject({ type: 'error', code: 'range_too_large' });
    const many = await c.request({ type: 'history', room: 'acme/x', fromTs: 0, toTs: 1000, limit: 50_000 });
    expect(many).toMatchObject({ type: 'error', code: 'range_too_large' });
    const inverted = await c.request({ type: 'history', room: 'acme/x', fromTs: 10, toTs: 1 });
    expect(inverted).toMatchObject({ type: 'error', code: 'range_invalid' });
    const unsub = await c.request({ type: 'unsubscribe', sub: 'nope' });
    expect(unsub).toMatchObject({ type: 'error', code: 'unknown_subscription' });
    c.ws.send(Buffer.from([1, 2, 3]));
    await c.waitFor((m) => m.type === 'error' && m.message.includes('binary'));

    // Too many subscriptions.
    await sleep(2100); // refill the request bucket
    const errors: string[] = [];
    for (let i = 0; i < 34; i++) {
      const r = await c.request({ type: 'subscribe', stream: 'metrics', room: `acme/r${i}` });
      if (r.type === 'error') errors.push(r.code);
    }
    expect(errors).toContain('too_many_subscriptions');

    // Above the rate: rate_limited errors, the session goes on.
    await sleep(2100); // refill the request bucket
    for (let i = 0; i < 60; i++) c.send({ type: 'ping', id: `f${i}` });
    await c.waitFor((m) => m.type === 'pong' && m.id === 'f0');
    await c.waitFor((m) => m.type === 'error' && m.code === 'rate_limited' && m.id === 'f59');
    expect(c.closeInfo).toBeNull();
    // A flood: after 200 rejected requests in a row the socket is closed (4413), fatal error first.
    for (let i = 0; i < 600; i++) c.send({ type: 'unsubscribe', id: `g${i}`, sub: 'nope' });
    expect((await c.closed).code).toBe(CloseCode.RATE_LIMITED);
    expect(c.ofType('error').at(-1)).toMatchObject({ code: 'rate_limited', fatal: true });

    // Others unaffected: the other session still gets pongs and room lists; clients still sync.
    expect((await other.request({ type: 'ping' })).type).toBe('pong');
    expect(other.ofType('rooms', otherRooms).length).toBeGreaterThan(0);
    const x = await client('acme/after-bad', 'X', 'x-sub');
    const y = await client('acme/after-bad', 'Y', 'y-sub');
    x.doc.getText('t').insert(0, 'still works');
    await waitFor(() => y.doc.getText('t').toString() === 'still works', 5000, 'sync after bad input');
  });

  it('counts sessions in /metrics and returns to 0 when they close', async () => {
    for (const i of inspectors.splice(0)) {
      i.close();
      await i.closed;
    }
    const scrape = async (): Promise<string> => (await fetch(`${pod.httpUrl}/metrics`)).text();
    const c = await openInspector('metadata');
    await waitFor(
      async () => /inspect_sessions\{[^}]*org="acme"[^}]*\} 1/.test(await scrape()),
      5000,
      'gauge 1'
    );
    const body = await scrape();
    expect(body).toMatch(/inspect_diff_latency_ms_bucket/);
    expect(body).toMatch(
      /# TYPE inspect_dropped_messages_total counter|# TYPE inspect_dropped_messages counter/
    );
    c.close();
    await c.closed;
    await waitFor(
      async () => /inspect_sessions\{[^}]*org="acme"[^}]*\} 0/.test(await scrape()),
      5000,
      'gauge 0'
    );
  });
});
