/**
 * The inspect contract, run against every host: our collab pod and a real Hocuspocus server with
 * CollabMonitor (with and without the update log). Real editors (y-websocket on the pod,
 * @hocuspocus/provider on Hocuspocus), real inspect clients over `/inspect`, tokens minted with org API
 * keys. A core set of the pod's own inspect tests (collab-server/test/inspect.pod.test.ts): tokens,
 * every stream, scope redaction, org isolation, history or `history_unavailable`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { InspectServerMessage, PresenceUser } from '@collabblocks/protocol';
import { waitFor } from './helpers/exposition.js';
import {
  hocuspocusHost,
  hocuspocusWithoutHistory,
  KEYS,
  podHost,
  type Editor,
  type HostFactory,
  type HostUnderTest,
} from './helpers/hosts.js';
import { type InspectClient, openInspector, treeView } from './helpers/pod.js';

const SECRET_TEXT = 'zebra-quartz-typed-words';
const MAP_VALUE = 'ultraviolet-plan-title';
const NAME_A = 'Alice Wonderland';
const NAME_B = 'Bobby Tables';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const HOSTS: Array<[string, HostFactory]> = [
  ['collab pod', podHost],
  ['hocuspocus + update log', hocuspocusHost],
  ['hocuspocus', hocuspocusWithoutHistory],
];

describe.each(HOSTS)('inspect contract: %s', (_label, factory) => {
  let host: HostUnderTest;
  const editors: Editor[] = [];
  const inspectors: InspectClient[] = [];

  beforeAll(async () => {
    host = await factory();
  });
  afterAll(async () => {
    for (const i of inspectors) i.ws.terminate();
    for (const e of editors) e.destroy();
    await host?.stop();
  });

  const inspector = (scope: 'metadata' | 'content', key?: string): Promise<InspectClient> =>
    openInspector(host, key ?? (scope === 'content' ? KEYS.content : KEYS.metadata), scope, inspectors);

  async function editor(room: string, sub: string, name: string, cursor: { x: number; y: number }) {
    const e = await host.editor(room, sub, name, {
      user: { name, color: '#ff0000' },
      cursor,
      status: 'editing',
    });
    editors.push(e);
    return e;
  }

  it('mints tokens within the key scope and refuses the rest with clear errors', async () => {
    const post = (path: string, key: string | null, body?: unknown) =>
      fetch(`${host.httpUrl}${path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(key ? { authorization: `Bearer ${key}` } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    const ok = await post('/api/inspect/token/metadata', KEYS.metadata);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ scope: 'metadata', org: 'acme' });
    expect((await post('/api/inspect/token', KEYS.content, { scope: 'content' })).status).toBe(200);
    const tooWide = await post('/api/inspect/token/content', KEYS.metadata);
    expect(tooWide.status).toBe(403);
    expect(((await tooWide.json()) as { error: string }).error).toMatch(/at most 'metadata'/);
    expect((await post('/api/inspect/token/metadata', null)).status).toBe(401);
    expect((await post('/api/inspect/token/metadata', 'not-a-key')).status).toBe(401);
  });

  it('streams what the editors did; metadata scope never carries values or names', async () => {
    const room = 'acme/contract';
    const content = await inspector('content');
    const meta = await inspector('metadata');
    const cs: Record<string, string> = {};
    const ms: Record<string, string> = {};
    for (const s of ['tree', 'updates', 'traffic', 'presence', 'metrics'] as const) {
      cs[s] = await content.subscribe(s, room);
      ms[s] = await meta.subscribe(s, room);
    }
    cs.rooms = await content.subscribe('rooms');

    const a = await editor(room, 'alice-sub', NAME_A, { x: 0.25, y: 0.75 });
    const b = await editor(room, 'bob-sub', NAME_B, { x: 0.5, y: 0.5 });
    a.doc.getText('text').insert(0, SECRET_TEXT);
    b.doc.getMap('meta').set('title', MAP_VALUE);
    await waitFor(() => a.doc.getMap('meta').get('title') === MAP_VALUE, 5000, 'convergence a');
    await waitFor(() => b.doc.getText('text').toString() === SECRET_TEXT, 5000, 'convergence b');

    // tree: the view equals the editors' document
    await waitFor(
      () => {
        const v = treeView(content, cs.tree as string);
        return v.get('/text')?.value === SECRET_TEXT && v.get('/meta/title')?.value === MAP_VALUE;
      },
      5000,
      'tree view to match the document'
    );
    // updates: summaries with paths, authors and previews
    await waitFor(
      () =>
        content
          .ofType('updates', cs.updates)
          .flatMap((m) => m.items)
          .flatMap((i) => i.paths)
          .filter((path) => path === '/meta/title' || path === '/text').length >= 2,
      5000,
      'updates of both edits'
    );
    const items = content.ofType('updates', cs.updates).flatMap((m) => m.items);
    const textUpdate = items.find((i) => i.paths.includes('/text'));
    expect(textUpdate).toMatchObject({ origin: 'client', inserted: SECRET_TEXT.length });
    expect(textUpdate?.conn).toMatch(/^c_/);
    expect(textUpdate?.user).toMatch(/^u_/);
    expect(JSON.stringify(textUpdate?.preview)).toContain(SECRET_TEXT);
    if (host.history) expect(textUpdate?.seq).toBeGreaterThan(0);

    // traffic: frames in and out, with kinds
    await waitFor(
      () => {
        const frames = content.ofType('traffic', cs.traffic).flatMap((m) => m.frames);
        return (
          frames.some((f) => f.direction === 'in' && f.kind === 'sync-update') &&
          frames.some((f) => f.direction === 'out' && f.kind === 'sync-update') &&
          frames.some((f) => f.kind === 'awareness')
        );
      },
      5000,
      'traffic with updates in and out and awareness'
    );

    // presence: names in content scope, cursors always
    const users = (c: InspectClient, sub: string) =>
      c
        .ofType('presencePatch', sub)
        .flatMap((m) => m.joined.concat(m.updated))
        .concat(c.ofType('presenceSnapshot', sub).flatMap((m) => m.users));
    await waitFor(
      () => [NAME_A, NAME_B].every((n) => users(content, cs.presence as string).some((u) => u.name === n)),
      5000,
      'presence'
    );
    const alice = users(content, cs.presence as string).find((u) => u.name === NAME_A);
    expect(alice).toMatchObject({ cursor: { x: 0.25, y: 0.75 }, status: 'editing', color: '#ff0000' });
    expect(alice?.user).toMatch(/^u_/);
    expect(alice?.conn).toMatch(/^c_/);

    // metrics every second, rooms list
    await waitFor(
      () => content.ofType('metrics', cs.metrics).some((m) => m.connections === 2 && m.bytesIn > 0),
      5000,
      'metrics'
    );
    await waitFor(
      () =>
        content
          .ofType('rooms', cs.rooms)
          .some((m) => m.rooms.some((r) => r.room === room && r.loaded && r.connections === 2)),
      8000,
      'rooms list'
    );

    // metadata scope: the same structure, no value, no name
    await waitFor(() => treeView(meta, ms.tree as string).has('/meta/title'), 5000, 'metadata tree');
    await waitFor(() => users(meta, ms.presence as string).length >= 2, 5000, 'metadata presence');
    const mview = treeView(meta, ms.tree as string);
    expect(mview.get('/text')).toMatchObject({ type: 'Text', size: SECRET_TEXT.length });
    expect(mview.get('/text')?.value).toBeUndefined();
    for (const u of users(meta, ms.presence as string)) expect(u.name).toBeUndefined();
    const rawMeta = meta.raw.join('\n');
    for (const s of [SECRET_TEXT, MAP_VALUE, NAME_A, NAME_B, 'Alice', 'Bobby']) {
      expect(rawMeta.includes(s), `metadata frames leak "${s}"`).toBe(false);
    }
    // A plain CSS colour is not personal: metadata scope carries the colour each user publishes (issue 13).
    expect(users(meta, ms.presence as string).some((u) => u.color === '#ff0000')).toBe(true);
    expect(meta.invalid).toEqual([]);
    expect(content.invalid).toEqual([]);
  });

  it("a subscription's presence field paths locate an unknown app's awareness; a caret others moved is re-sent", async () => {
    const room = 'acme/fields';
    // A writer builds four paragraphs (y-prosemirror's shape).
    const writer = await host.editor(room, 'writer-sub', 'Writer', {});
    editors.push(writer);
    const frag = writer.doc.getXmlFragment('prosemirror');
    const para = (): Y.XmlElement => {
      const p = new Y.XmlElement('paragraph');
      const t = new Y.XmlText();
      t.insert(0, 'some paragraph');
      p.insert(0, [t]);
      return p;
    };
    frag.insert(0, [para(), para(), para(), para()]);
    const text = (frag.get(2) as Y.XmlElement).get(0) as Y.XmlText;
    const rel = (i: number): unknown =>
      JSON.parse(JSON.stringify(Y.createRelativePositionFromTypeIndex(text, i))) as unknown;
    // An in-house editor's awareness: no convention the bridge knows.
    const ada = await host.editor(room, 'ada-sub', NAME_A, {
      me: { sel: { from: rel(1), to: rel(5) } },
      who: { label: NAME_A, hue: '#ff8800' },
    });
    editors.push(ada);
    const c = await inspector('content');
    const fields = { anchor: 'me.sel.from', head: 'me.sel.to', name: 'who.label', color: 'who.hue' };
    const subscribed = await c.request({ type: 'subscribe', stream: 'presence', room, presence: { fields } });
    if (subscribed.type !== 'subscribed') throw new Error(JSON.stringify(subscribed));
    const sub = subscribed.sub;
    /** Ada as the latest snapshot/patch of the subscription says. */
    const adaNow = (): PresenceUser | undefined => {
      let u: PresenceUser | undefined;
      for (const m of c.messages) {
        if (!('sub' in m) || m.sub !== sub) continue;
        const list =
          m.type === 'presenceSnapshot'
            ? m.users
            : m.type === 'presencePatch'
              ? m.joined.concat(m.updated)
              : [];
        u = list.find((x) => x.name === NAME_A) ?? u;
      }
      return u;
    };
    await waitFor(() => adaNow()?.location?.block === 2, 5000, 'Ada located through the field paths');
    expect(adaNow()).toMatchObject({
      binding: 'configured',
      color: '#ff8800',
      location: { state: 'resolved', root: 'prosemirror', nodeName: 'paragraph', offset: 5, selection: 4 },
    });
    // The writer inserts two blocks above Ada's caret; Ada's awareness does not change.
    frag.insert(0, [para(), para()]);
    await waitFor(() => adaNow()?.location?.block === 4, 5000, "Ada's caret re-sent at its moved block");
    expect(c.invalid).toEqual([]);
  });

  it('isolates orgs', async () => {
    const globex = await inspector('metadata', KEYS.globex);
    const err = await globex.request({ type: 'subscribe', stream: 'tree', room: 'acme/contract' });
    expect(err).toMatchObject({ type: 'error', code: 'wrong_org', fatal: false });
    const sub = await globex.subscribe('rooms');
    const list = await globex.waitFor((m) => m.type === 'rooms' && m.sub === sub);
    expect(JSON.stringify(list)).not.toContain('acme/');
  });

  it('history: the log for a range and the tree at T, or history_unavailable', async () => {
    const room = 'acme/contract-history';
    const a = await editor(room, 'alice-h', NAME_A, { x: 0.1, y: 0.1 });
    const t0 = Date.now();
    const c = await inspector('content');
    // The host's own log decides what "before the second edit" means: T1 is the logged time of the
    // first edit (a wall-clock guess raced the host's commit on a loaded machine).
    const loggedTs = async (path: string): Promise<number> => {
      if (!host.history) return Date.now();
      for (let i = 0; i < 100; i++) {
        const h = await c.request({ type: 'history', room, fromTs: t0 - 10, toTs: Date.now() });
        const hit = h.type === 'history' ? h.entries.find((e) => e.paths.includes(path)) : undefined;
        if (hit) return hit.ts;
        await sleep(100);
      }
      throw new Error(`the update log never held an update of ${path}`);
    };
    a.doc.getText('text').insert(0, 'first version');
    const T1 = await loggedTs('/text');
    await sleep(40); // the second edit's logged time is then > T1 (one clock, millisecond timestamps)
    a.doc.getText('text').insert(0, 'second ');
    a.doc.getMap('meta').set('stage', 'review');
    await loggedTs('/meta/stage');
    const hist = await c.request({ type: 'history', room, fromTs: t0 - 10, toTs: Date.now() });
    const treeAt = async (at: number): Promise<InspectServerMessage> => {
      const id = c.nextId();
      c.send({ type: 'historyTree', id, room, at });
      return c.waitFor(
        (m) => 'id' in m && m.id === id && (m.type === 'error' || (m.type === 'historyTree' && m.last))
      );
    };
    if (!host.history) {
      expect(hist).toMatchObject({ type: 'error', code: 'history_unavailable', fatal: false });
      expect((hist as { message?: string }).message).toMatch(/update log|history/i);
      expect(await treeAt(T1)).toMatchObject({ type: 'error', code: 'history_unavailable' });
      return;
    }
    expect(hist.type).toBe('history');
    const entries = (hist as Extract<InspectServerMessage, { type: 'history' }>).entries;
    expect(entries.length).toBeGreaterThanOrEqual(2);
    expect(entries.some((e) => e.paths.includes('/meta/stage'))).toBe(true);
    const last = await treeAt(T1);
    expect(last.type).toBe('historyTree');
    const id = (last as { id: string }).id;
    const nodes = new Map(
      c
        .ofType('historyTree')
        .filter((m) => m.id === id)
        .flatMap((m) => m.nodes)
        .map((n) => [n.path, n])
    );
    expect(nodes.get('/text')?.value).toBe('first version');
    expect(nodes.has('/meta/stage')).toBe(false);
  });
});
