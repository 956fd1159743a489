/**
 * The runner table (through its test driver: what the backend runs) against REAL pods (collab-server processes started with the
 * pod core's test helpers) and stock y-websocket clients: every query type
 * emits frames with the contract's fields and keeps updating, unsubscribing
 * closes the pods' inspect sessions (`inspect_sessions` back to 0 on
 * /metrics), a historyTree replay ends exactly at the tree of its end instant,
 * a Viewer never receives names or typed text, and a dead pod is
 * named by the health check. Token minting goes through a stand-in of the backend's
 * minting: POST <pod>/api/inspect/token/<scope> with the org API key,
 * and 403 for content when the role is below Editor (the backend's scope by role).
 */
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { firstValueFrom, filter as rxFilter, type Subscription } from 'rxjs';
import {
  dateTime,
  type DataFrame,
  type DataQueryRequest,
  type DataQueryResponse,
  type DataSourceInstanceSettings,
  LoadingState,
} from '@grafana/data';
import { setTemplateSrv, type TemplateSrv } from '@grafana/runtime';
import {
  PRESENCE_FIELDS,
  TREE_FIELDS,
  TREE_STEP_FIELDS,
  type TreeStepsFrameCustom,
  UPDATES_FIELDS,
  HEATMAP_FIELDS,
  METRICS_FIELDS,
  ROOMS_FIELDS,
  collabFrameKind,
  type InspectScope,
} from '@collabblocks/protocol';

import { startPod, type PodProcess } from '../../../../collab-server/test/helpers/pod';
import { TEST_API_KEYS, TEST_JWT_SECRET } from '../../../../collab-server/test/helpers/jwt';
import { connectClient, type StockClient } from '../../../../collab-server/test/helpers/clients';
import { RunnerDriver } from '../query/runnerDriver.testutil';
import { HttpStatusError } from '../stream/tokens';
import type { SocketLike } from '../stream/socket';
import type { CollabJsonData, CollabQuery } from '../types';

const ROOM = 'acme/dsdoc';
const SECRET_TEXT = 'typed-secret-words';
const NAME = 'Alice Example';

let pods: PodProcess[] = [];

/** HS256 client JWT signed with node:crypto (jose's key check trips over jsdom's Uint8Array realm). */
function clientToken(claims: Record<string, unknown>): string {
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const head = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ iat: now - 1, exp: now + 3600, ...claims })}`;
  return `${head}.${createHmac('sha256', TEST_JWT_SECRET).update(head).digest('base64url')}`;
}
const clients: StockClient[] = [];

function dataSource(podUrls: string[], role: 'Viewer' | 'Editor', ttlSeconds?: number): RunnerDriver {
  const settings = {
    id: 1,
    uid: 'collab',
    type: 'collabblocks-collab-datasource',
    name: 'Collab',
    url: '/api/datasources/proxy/uid/collab',
    access: 'proxy',
    readOnly: false,
    jsonData: { podUrls, tokenUrl: podUrls[0] },
    meta: {} as DataSourceInstanceSettings['meta'],
  } as DataSourceInstanceSettings<CollabJsonData>;
  return new RunnerDriver(settings, {
    orgRole: role,
    lingerMs: 0,
    throttleMs: 50,
    socketFactory: (url) => new WebSocket(url) as unknown as SocketLike,
    tokenFetcher: async (scope: InspectScope) => {
      if (scope === 'content' && role === 'Viewer')
        throw new HttpStatusError(403, 'plugin proxy route access denied');
      const res = await fetch(`${podUrls[0]}/api/inspect/token/${scope}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${TEST_API_KEYS.acmeContent.key}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify(ttlSeconds ? { ttlSeconds } : {}),
      });
      const body: unknown = await res.json();
      if (!res.ok) throw new HttpStatusError(res.status, JSON.stringify(body));
      return body;
    },
  });
}

function request(targets: Array<Partial<CollabQuery>>, maxDataPoints = 500): DataQueryRequest<CollabQuery> {
  const to = dateTime(Date.now() + 60_000);
  const from = dateTime(Date.now() - 3_600_000);
  return {
    requestId: `q${Math.random().toString(36).slice(2, 8)}`,
    interval: '1s',
    intervalMs: 1000,
    maxDataPoints,
    range: { from, to, raw: { from: 'now-1h', to: 'now' } },
    scopedVars: {},
    targets: targets.map(
      (t, i) => ({ refId: String.fromCharCode(65 + i), queryType: 'rooms', ...t }) as CollabQuery
    ),
    timezone: 'utc',
    app: 'dashboard',
    startTime: Date.now(),
  };
}

/** Collects responses of a query until `until` accepts the list (or times out). */
async function collect(
  ds: RunnerDriver,
  req: DataQueryRequest<CollabQuery>,
  until: (rs: DataQueryResponse[]) => boolean,
  timeoutMs = 10_000
): Promise<{ responses: DataQueryResponse[]; sub: Subscription }> {
  const responses: DataQueryResponse[] = [];
  let sub: Subscription | undefined;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          new Error(
            `timed out; last response: ${JSON.stringify(responses.at(-1)?.errors ?? responses.at(-1)?.state)} after ${responses.length}`
          )
        ),
      timeoutMs
    );
    sub = ds.query(req).subscribe((r) => {
      responses.push(r);
      if (until(responses)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  return { responses, sub: sub as Subscription };
}

const field = (f: DataFrame | undefined, name: string): unknown[] =>
  Array.from(f?.fields.find((x) => x.name === name)?.values ?? []);

async function inspectSessions(pod: PodProcess): Promise<number> {
  const text = await (await fetch(`${pod.httpUrl}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith('inspect_sessions'))
    .reduce((n, l) => n + Number(l.trim().split(/\s+/).pop()), 0);
}

async function waitFor(
  cond: () => Promise<boolean> | boolean,
  timeoutMs: number,
  what: string
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('collab datasource against real pods', () => {
  beforeAll(async () => {
    pods = await Promise.all([startPod(), startPod()]);
    setTemplateSrv({
      replace: (s?: string) => (s ?? '').replace('$room', ROOM),
    } as unknown as TemplateSrv);
    const token = clientToken({ org: 'acme', sub: 'alice', name: NAME });
    const a = connectClient(pods[0]!.wsUrl, ROOM, token, {
      awareness: { user: { name: NAME, color: '#ff0000' }, cursor: { x: 0.25, y: 0.75 } },
    });
    clients.push(a);
    await a.synced;
    a.doc.getText('body').insert(0, SECRET_TEXT);
    a.doc.getMap('meta').set('title', 'doc title');
  }, 60_000);

  afterAll(async () => {
    for (const c of clients) c.destroy();
    await Promise.all(pods.map((p) => p.cleanup()));
  });

  it('rooms: a table across both pods', async () => {
    const ds = dataSource(
      pods.map((p) => p.httpUrl),
      'Editor'
    );
    const { responses, sub } = await collect(ds, request([{ queryType: 'rooms' }]), (rs) =>
      rs.some((r) => r.state === LoadingState.Done)
    );
    sub.unsubscribe();
    const done = responses.find((r) => r.state === LoadingState.Done)!;
    expect(done.errors ?? []).toEqual([]);
    const f = done.data[0] as DataFrame;
    expect(collabFrameKind(f.meta)).toBe('rooms');
    expect(field(f, ROOMS_FIELDS.room)).toContain(ROOM);
    expect(new Set(field(f, ROOMS_FIELDS.pod))).toContain(pods[0]!.podName);
    ds.dispose();

    // A pod filter by name works on a fresh instance (names are learnt from `hello`).
    const fresh = dataSource(
      pods.map((p) => p.httpUrl),
      'Editor'
    );
    const one = await collect(fresh, request([{ queryType: 'rooms', pod: pods[1]!.podName }]), (rs) =>
      rs.some((r) => r.state === LoadingState.Done)
    );
    one.sub.unsubscribe();
    const only = one.responses.find((r) => r.state === LoadingState.Done)!.data[0] as DataFrame;
    expect(only.meta?.custom?.pods).toEqual([pods[1]!.podName]);
    expect(field(only, ROOMS_FIELDS.pod)).not.toContain(pods[0]!.podName);
    fresh.dispose();
  });

  it('live queries (Editor/content): presence, heatmap, tree, updates, traffic, metrics keep updating', async () => {
    const ds = dataSource(
      pods.map((p) => p.httpUrl),
      'Editor'
    );
    const req = request([
      { queryType: 'presence', room: '$room' },
      { queryType: 'presenceHeatmap', room: ROOM, gridSize: 4 },
      { queryType: 'tree', room: ROOM },
      { queryType: 'updates', room: ROOM },
      { queryType: 'traffic', room: ROOM },
      { queryType: 'metrics', room: ROOM },
    ]);
    const latest = new Map<string, DataQueryResponse>();
    const byRef = (ref: string) => latest.get(ref)?.data[0] as DataFrame | undefined;
    const sub = ds.query(req).subscribe((r) => latest.set(r.key?.split('-').pop() ?? '', r));
    const a = clients[0]!;
    await waitFor(
      () => field(byRef('A'), PRESENCE_FIELDS.label).includes(NAME),
      10_000,
      'presence with name'
    );
    expect(latest.get('A')?.state).toBe(LoadingState.Streaming);
    expect(field(byRef('A'), PRESENCE_FIELDS.x)).toContain(0.25);
    await waitFor(() => field(byRef('C'), TREE_FIELDS.path).includes('/body'), 10_000, 'tree').catch(
      (err) => {
        throw new Error(`${(err as Error).message}: ${JSON.stringify(latest.get('C'))?.slice(0, 1500)}`);
      }
    );
    expect(field(byRef('C'), TREE_FIELDS.value).join('|')).toContain(SECRET_TEXT);

    // Keep typing / moving: every stream moves on.
    a.provider.awareness.setLocalStateField('cursor', { x: 0.8, y: 0.1 });
    for (let i = 0; i < 3; i++) {
      a.doc.getText('body').insert(0, `more${i} `);
      await new Promise((r) => setTimeout(r, 150));
    }
    await waitFor(() => field(byRef('A'), PRESENCE_FIELDS.x).includes(0.8), 10_000, 'cursor moved');
    await waitFor(
      () => (field(byRef('B'), HEATMAP_FIELDS.count) as number[]).reduce((n, c) => n + c, 0) >= 2,
      10_000,
      'heatmap samples'
    );
    await waitFor(
      () => field(byRef('C'), TREE_FIELDS.value).join('|').includes('more2'),
      10_000,
      'tree patch'
    );
    await waitFor(() => field(byRef('D'), UPDATES_FIELDS.inserted).length >= 3, 10_000, 'updates rows');
    expect(byRef('D')?.meta?.type).toBe('log-lines');
    expect(String(field(byRef('D'), UPDATES_FIELDS.preview).join(''))).toContain('more');
    await waitFor(() => (byRef('E')?.length ?? 0) > 0, 10_000, 'traffic rows');
    await waitFor(() => (byRef('F')?.length ?? 0) >= 2, 10_000, 'two metrics points');
    // One series per pod; the pod holding the room counts the client's connection.
    const metricFrames = (latest.get('F')?.data ?? []) as DataFrame[];
    expect(metricFrames.length).toBe(2);
    expect(metricFrames.flatMap((f) => field(f, METRICS_FIELDS.connections))).toContain(1);
    expect(byRef('B')?.meta?.type).toBe('heatmap-cells');

    await waitFor(async () => (await inspectSessions(pods[0]!)) === 1, 5000, 'one session on pod 0');
    expect(await inspectSessions(pods[1]!)).toBe(1);
    sub.unsubscribe();
    await waitFor(async () => (await inspectSessions(pods[0]!)) === 0, 5000, 'pod 0 sessions back to 0');
    await waitFor(async () => (await inspectSessions(pods[1]!)) === 0, 5000, 'pod 1 sessions back to 0');
    ds.dispose();
  }, 60_000);

  it('one-shots: history over the range and the tree at an instant', async () => {
    const ds = dataSource([pods[0]!.httpUrl], 'Editor');
    const { responses, sub } = await collect(
      ds,
      request([
        { queryType: 'history', room: ROOM },
        { queryType: 'historyTree', room: ROOM, at: String(Date.now() + 1000) },
      ]),
      (rs) => rs.filter((r) => r.state === LoadingState.Done || r.state === LoadingState.Error).length >= 2,
      15_000
    );
    sub.unsubscribe();
    const hist = responses.find((r) => r.state !== LoadingState.Loading && r.key?.endsWith('-A'));
    const tree = responses.find((r) => r.state !== LoadingState.Loading && r.key?.endsWith('-B'));
    expect(hist?.errors ?? []).toEqual([]);
    expect(field(hist?.data[0], UPDATES_FIELDS.bytes).length).toBeGreaterThan(0);
    expect(tree?.errors ?? []).toEqual([]);
    expect(collabFrameKind((tree?.data[0] as DataFrame).meta)).toBe('historyTree');
    expect(field(tree?.data[0], TREE_FIELDS.path)).toContain('/body');
    ds.dispose();
  }, 30_000);

  it('historyTree replay: base + steps end exactly at the tree of the replay end', async () => {
    const room = 'acme/dsreplay';
    const writer = connectClient(pods[0]!.wsUrl, room, clientToken({ org: 'acme', sub: 'bob' }));
    clients.push(writer);
    await writer.synced;
    writer.doc.getText('body').insert(0, 'before');
    await new Promise((r) => setTimeout(r, 300));
    const at = Date.now();
    await new Promise((r) => setTimeout(r, 30));
    const map = writer.doc.getMap('m');
    const edits = [
      () => writer.doc.getText('body').insert(6, ' after'),
      () => map.set('k1', 1),
      () => map.set('k2', { nested: true }),
      () => map.delete('k1'),
    ];
    for (const e of edits) {
      e();
      await new Promise((r) => setTimeout(r, 40));
    }
    const through = Date.now() + 500;
    await new Promise((r) => setTimeout(r, 600));
    const ds = dataSource([pods[0]!.httpUrl], 'Editor');
    const run = async (q: Partial<CollabQuery>): Promise<DataQueryResponse> => {
      const { responses, sub } = await collect(
        ds,
        request([{ queryType: 'historyTree', room, ...q }]),
        (rs) => rs.some((r) => r.state === LoadingState.Done || r.state === LoadingState.Error),
        15_000
      );
      sub.unsubscribe();
      return responses.at(-1)!;
    };
    let replay: DataQueryResponse | undefined;
    // The pod persists the log asynchronously: wait until the last edit is in it.
    await waitFor(
      async () => {
        replay = await run({ at: String(at), through: String(through) });
        return field(replay.data[1], TREE_STEP_FIELDS.path).includes('/m/k2');
      },
      10_000,
      'all edits in the replay'
    );
    expect(replay?.errors ?? []).toEqual([]);
    const [base, steps] = replay?.data as DataFrame[];
    expect(collabFrameKind(base?.meta)).toBe('historyTree');
    expect(collabFrameKind(steps?.meta)).toBe('treeSteps');
    const custom = steps?.meta?.custom as TreeStepsFrameCustom;
    expect(custom).toMatchObject({ room, from: at, to: through, truncated: false, scope: 'content' });
    expect(field(base, TREE_FIELDS.path)).not.toContain('/m');
    const seqs = field(steps, TREE_STEP_FIELDS.seq) as number[];
    // One step per logged update: every edit after `at` (the earlier insert is in the base).
    expect(custom.steps).toBe(edits.length);
    expect(new Set(seqs).size).toBe(custom.steps);
    expect(seqs.every((s, i) => i === 0 || s >= seqs[i - 1]!)).toBe(true);
    expect(field(steps, TREE_STEP_FIELDS.op)).toContain('removed');

    // Apply the steps on the base: the node set and the text equal the tree at `through`.
    const nodes = new Map<string, string>();
    const basePaths = field(base, TREE_FIELDS.path) as string[];
    const baseValues = field(base, TREE_FIELDS.value) as string[];
    basePaths.forEach((p, i) => nodes.set(p, baseValues[i] ?? ''));
    const ops = field(steps, TREE_STEP_FIELDS.op) as string[];
    const paths = field(steps, TREE_STEP_FIELDS.path) as string[];
    const values = field(steps, TREE_STEP_FIELDS.value) as string[];
    ops.forEach((op, i) => {
      const p = paths[i]!;
      if (op === 'removed') {
        for (const k of [...nodes.keys()]) if (k === p || k.startsWith(`${p}/`)) nodes.delete(k);
      } else if (op === 'added' || op === 'changed') {
        nodes.set(p, values[i] ?? '');
      }
    });
    const end = await run({ at: String(through) });
    expect(end.errors ?? []).toEqual([]);
    const endPaths = field(end.data[0], TREE_FIELDS.path) as string[];
    const endValues = field(end.data[0], TREE_FIELDS.value) as string[];
    expect(new Map(endPaths.map((p, i) => [p, endValues[i] ?? '']))).toEqual(nodes);
    expect(nodes.get('/body')).toBe('before after');
    expect(nodes.has('/m/k1')).toBe(false);
    expect((end.data[0] as DataFrame).meta?.custom?.seq).toBe(seqs.at(-1));
    ds.dispose();
  }, 45_000);

  it('tree and historyTree of a subtree (rootPath / maxDepth): live, created later, at an instant', async () => {
    const room = 'acme/dssubtree';
    const writer = connectClient(pods[0]!.wsUrl, room, clientToken({ org: 'acme', sub: 'dora' }));
    clients.push(writer);
    await writer.synced;
    // Nested maps without importing yjs here: the doc's own Map class.
    type YMap = ReturnType<StockClient['doc']['getMap']>;
    const cfg = writer.doc.getMap('cfg');
    const MapType = cfg.constructor as new () => YMap;
    const items = new MapType();
    cfg.set('items', items);
    for (const k of ['a', 'b']) {
      const item = new MapType();
      items.set(k, item);
      item.set('deep', `value-${k}`);
    }
    writer.doc.getText('body').insert(0, 'other part of the document');
    await new Promise((r) => setTimeout(r, 300));

    const ds = dataSource([pods[0]!.httpUrl], 'Editor');
    setTemplateSrv({
      replace: (s?: string) => (s ?? '').replace('$room', ROOM).replace('$node', '/cfg/items'),
    } as unknown as TemplateSrv);
    const latest = new Map<string, DataQueryResponse>();
    const frameOf = (ref: string) => latest.get(ref)?.data[0] as DataFrame | undefined;
    const sub = ds
      .query(
        request([
          { queryType: 'tree', room, rootPath: '$node', maxDepth: 1 },
          { queryType: 'tree', room, rootPath: '/cfg/later' },
        ])
      )
      .subscribe((r) => latest.set(r.key?.split('-').pop() ?? '', r));
    try {
      await waitFor(() => field(frameOf('A'), TREE_FIELDS.path).length === 3, 10_000, 'subtree rows');
      // The subtree root first, its children, nothing deeper; paths absolute (the root's parent is outside).
      expect(field(frameOf('A'), TREE_FIELDS.path)).toEqual(['/cfg/items', '/cfg/items/a', '/cfg/items/b']);
      expect(field(frameOf('A'), TREE_FIELDS.parentPath)).toEqual(['/cfg', '/cfg/items', '/cfg/items']);
      expect(field(frameOf('A'), TREE_FIELDS.depth)).toEqual([2, 3, 3]);
      expect(frameOf('A')?.meta?.custom).toMatchObject({
        rootPath: '/cfg/items',
        maxDepth: 1,
        rootFound: true,
      });
      expect(latest.get('A')?.errors).toBeUndefined();
      // Not there yet: an info notice, no error; created later: the subtree fills in.
      await waitFor(() => frameOf('B')?.meta?.custom?.rootFound === false, 10_000, 'missing root reported');
      expect(latest.get('B')?.errors).toBeUndefined();
      expect(frameOf('B')?.meta?.notices?.[0]).toMatchObject({ severity: 'info' });
      const later = new MapType();
      cfg.set('later', later);
      later.set('k', 1);
      await waitFor(
        () => field(frameOf('B'), TREE_FIELDS.path).join() === '/cfg/later,/cfg/later/k',
        10_000,
        'subtree created later'
      );
      expect(frameOf('B')?.meta?.notices).toBeUndefined();
      // Live removal of a node inside the subtree.
      items.delete('a');
      await waitFor(
        () => field(frameOf('A'), TREE_FIELDS.path).length === 2,
        10_000,
        'removal in the subtree'
      );
      expect(field(frameOf('A'), TREE_FIELDS.path)).toEqual(['/cfg/items', '/cfg/items/b']);
    } finally {
      sub.unsubscribe();
    }
    // The same selection on the tree at an instant.
    const { responses, sub: hsub } = await collect(
      ds,
      request([
        {
          queryType: 'historyTree',
          room,
          at: String(Date.now() + 1000),
          rootPath: '/cfg/items',
          maxDepth: 0,
        },
      ]),
      (rs) => rs.some((r) => r.state === LoadingState.Done || r.state === LoadingState.Error),
      15_000
    );
    hsub.unsubscribe();
    const done = responses.at(-1)!;
    expect(done.errors ?? []).toEqual([]);
    expect(field(done.data[0], TREE_FIELDS.path)).toEqual(['/cfg/items']);
    expect((done.data[0] as DataFrame).meta?.custom).toMatchObject({
      rootPath: '/cfg/items',
      maxDepth: 0,
      rootFound: true,
    });
    setTemplateSrv({ replace: (s?: string) => (s ?? '').replace('$room', ROOM) } as unknown as TemplateSrv);
    ds.dispose();
  }, 45_000);

  it('a Viewer (metadata route) never receives names or typed text', async () => {
    const ds = dataSource([pods[0]!.httpUrl], 'Viewer');
    const { responses, sub } = await collect(
      ds,
      request([
        { queryType: 'presence', room: ROOM },
        { queryType: 'tree', room: ROOM },
        { queryType: 'updates', room: ROOM },
      ]),
      (rs) => {
        const got = new Set(
          rs.filter((r) => (r.data[0] as DataFrame | undefined)?.length).map((r) => r.key?.slice(-1))
        );
        return got.has('A') && got.has('B');
      }
    );
    clients[0]!.doc.getText('body').insert(0, `viewer-${SECRET_TEXT} `);
    await new Promise((r) => setTimeout(r, 800));
    sub.unsubscribe();
    expect(ds.tokens.currentScope).toBe('metadata');
    const all = JSON.stringify(
      responses.map((r) => r.data.map((f: DataFrame) => f.fields.map((x) => Array.from(x.values))))
    );
    expect(all).not.toContain(SECRET_TEXT);
    expect(all).not.toContain('Alice');
    // A published plain CSS colour is not personal: Viewers see users in it (issue 13).
    expect(all).toContain('#ff0000');
    expect(all).toContain('/body'); // structure is visible
    ds.dispose();
  }, 30_000);

  it('variables (rooms, orgs, pods) and live annotations (a join)', async () => {
    const ds = dataSource(
      pods.map((p) => p.httpUrl),
      'Editor'
    );
    const rooms = await ds.metricFindQuery({ kind: 'rooms', org: 'acme' });
    expect(rooms.map((v) => v.text)).toContain(ROOM);
    expect((await ds.metricFindQuery({ kind: 'rooms', org: 'globex' })).length).toBe(0);
    expect((await ds.metricFindQuery({ kind: 'orgs' })).map((v) => v.text)).toEqual(['acme']);
    const podNames = (await ds.metricFindQuery({ kind: 'pods' })).map((v) => v.text);
    expect(podNames.sort()).toEqual(pods.map((p) => p.podName).sort());

    const titles = (rs: DataQueryResponse[]) => rs.flatMap((r) => field(r.data[0], 'title') as string[]);
    const req = request([{ queryType: 'annotations', room: ROOM }]);
    const responses: DataQueryResponse[] = [];
    const sub = ds.query(req).subscribe((r) => responses.push(r));
    await waitFor(async () => (await inspectSessions(pods[0]!)) === 1, 5000, 'annotation stream open');
    await new Promise((r) => setTimeout(r, 300));
    const bob = connectClient(pods[0]!.wsUrl, ROOM, clientToken({ org: 'acme', sub: 'bob', name: 'Bob' }), {
      awareness: { user: { name: 'Bob' }, cursor: { x: 0.5, y: 0.5 } },
    });
    clients.push(bob);
    await waitFor(() => titles(responses).includes('Join'), 10_000, 'join annotation');
    const last = responses.at(-1)!.data[0] as DataFrame;
    expect(last.fields.map((f) => f.name)).toEqual(['time', 'title', 'text', 'tags']);
    expect(JSON.stringify(field(last, 'text'))).not.toContain('Bob');
    sub.unsubscribe();
    ds.dispose();
  }, 30_000);

  it('re-authenticates on the same socket before a short-lived token expires (the stream survives)', async () => {
    // 3 s tokens, watched for 7 s.
    const ds = dataSource([pods[0]!.httpUrl], 'Editor', 3);
    const seen: DataQueryResponse[] = [];
    const sub = ds.query(request([{ queryType: 'updates', room: ROOM }])).subscribe((r) => seen.push(r));
    await waitFor(async () => (await inspectSessions(pods[0]!)) === 1, 5000, 'session open');
    const start = Date.now();
    // Two token lifetimes and more: without re-auth the pod closes the stream with AUTH_EXPIRED (4407).
    while (Date.now() - start < 7000) {
      clients[0]!.doc.getText('body').insert(0, '.');
      await new Promise((r) => setTimeout(r, 250));
    }
    const rowsBefore = (seen.at(-1)?.data[0] as DataFrame).length;
    clients[0]!.doc.getText('body').insert(0, 'after-expiry ');
    await waitFor(
      () => (seen.at(-1)?.data[0] as DataFrame).length > rowsBefore,
      5000,
      'updates after two token lifetimes'
    );
    expect(seen.flatMap((r) => r.errors ?? [])).toEqual([]);
    expect(ds.pool.get(pods[0]!.httpUrl).socketsOpened).toBe(1);
    expect(await inspectSessions(pods[0]!)).toBe(1);
    sub.unsubscribe();
    ds.dispose();
  }, 30_000);

  it('reconnects after the pod restarts (same port), shows the outage, then streams again', async () => {
    let pod = await startPod();
    const port = pod.port;
    const ds = dataSource([pod.httpUrl], 'Editor');
    const seen: DataQueryResponse[] = [];
    const sub = ds
      .query(request([{ queryType: 'updates', room: 'acme/restart' }]))
      .subscribe((r) => seen.push(r));
    try {
      await waitFor(async () => (await inspectSessions(pod)) === 1, 5000, 'session open');
      pod.kill();
      await pod.exited;
      await waitFor(() => seen.at(-1)?.state === LoadingState.Error, 5000, 'outage reported');
      expect(seen.at(-1)?.errors?.[0]?.message).toMatch(/closed|connect/);
      pod = await pod.restart({ PORT: String(port) });
      await waitFor(async () => (await inspectSessions(pod)) === 1, 15_000, 'session re-opened');
      const c = connectClient(pod.wsUrl, 'acme/restart', clientToken({ org: 'acme', sub: 'carol' }));
      await c.synced;
      c.doc.getText('t').insert(0, 'back');
      await waitFor(
        () => ((seen.at(-1)?.data[0] as DataFrame | undefined)?.length ?? 0) > 0,
        10_000,
        'updates'
      );
      expect(seen.at(-1)?.state).toBe(LoadingState.Streaming);
      expect(seen.at(-1)?.errors ?? []).toEqual([]);
      expect(ds.pool.get(`http://127.0.0.1:${port}`).socketsOpened).toBeGreaterThanOrEqual(2);
      c.destroy();
    } finally {
      sub.unsubscribe();
      ds.dispose();
      await pod.cleanup();
    }
  }, 60_000);

  it('testDatasource reaches every pod and names a dead one', async () => {
    const ok = dataSource(
      pods.map((p) => p.httpUrl),
      'Editor'
    );
    const good = await ok.testDatasource();
    expect(good.status).toBe('success');
    expect(good.message).toContain(pods[1]!.podName);
    ok.dispose();
    const dead = 'http://127.0.0.1:9'; // discard port: nothing listens
    const bad = dataSource([pods[0]!.httpUrl, dead], 'Editor');
    const res = await bad.testDatasource();
    expect(res.status).toBe('error');
    expect(res.message).toContain('1 of 2 pods failed');
    expect(res.message).toContain(dead);
    bad.dispose();
  }, 20_000);

  it('errors reach the panel: a bad room, and a one-shot against a dead pod', async () => {
    const ds = dataSource(['http://127.0.0.1:9'], 'Editor');
    const bad = await firstValueFrom(ds.query(request([{ queryType: 'tree', room: 'not a room' }])));
    expect(bad.state).toBe(LoadingState.Error);
    expect(bad.errors?.[0]?.message).toMatch(/room/);
    const dead = await firstValueFrom(
      ds.query(request([{ queryType: 'rooms' }])).pipe(rxFilter((r) => r.state !== LoadingState.Loading))
    );
    expect(dead.state).toBe(LoadingState.Error);
    expect(dead.errors?.[0]?.message).toMatch(/127\.0\.0\.1:9|closed|connect/);
    ds.dispose();
  }, 20_000);
});
