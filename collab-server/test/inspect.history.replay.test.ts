/**
 * historyTree replay (`toTs`) against a REAL pod process: stock y-websocket
 * clients make a known edit history at distinct times; an inspect client asks
 * for the tree at `at` plus the patch of every later update, applies them in
 * order, and at EVERY step compares its view node for node with a separate
 * `historyTree` request at that step's instant. Also: truncation, empty range,
 * bad ranges, metadata scope.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  INSPECT_LIMITS,
  type HistoryTreeStep,
  type InspectServerMessage,
  type TreeNode,
} from '@collabblocks/protocol';
import { startPod, type PodProcess } from './helpers/pod.js';
import { connectClient, sleep, waitFor, type StockClient } from './helpers/clients.js';
import { mintToken } from './helpers/jwt.js';
import { InspectClient, KEYS, mintInspect } from './inspect.client.js';

type HistoryTreeMsg = Extract<InspectServerMessage, { type: 'historyTree' }>;
type StepsMsg = Extract<InspectServerMessage, { type: 'historyTreeSteps' }>;
type ErrorMsg = Extract<InspectServerMessage, { type: 'error' }>;

const ROOM = 'acme/replay';
const SECRET_A = 'plan-title-quasar';
const SECRET_B = 'nested-notes-nebula';

let pod: PodProcess;
const clients: StockClient[] = [];
const inspectors: InspectClient[] = [];
/** Instant of the base tree, end of the edits, and the first edit's time. */
let at = 0;
let end = 0;
let t0 = 0;

async function openInspector(scope: 'metadata' | 'content'): Promise<InspectClient> {
  const c = await InspectClient.open(pod.wsUrl);
  inspectors.push(c);
  const tok = await mintInspect(pod.httpUrl, scope === 'content' ? KEYS.content : KEYS.metadata, scope);
  const m = await c.auth(tok.token);
  expect(m.type).toBe('authenticated');
  return c;
}

async function client(sub: string): Promise<StockClient> {
  const token = await mintToken({ org: 'acme', sub, name: sub });
  const c = connectClient(pod.wsUrl, ROOM, token);
  clients.push(c);
  await c.synced;
  return c;
}

interface Replay {
  base: TreeNode[];
  steps: HistoryTreeStep[];
  messages: StepsMsg[];
}

/** Sends a historyTree request (optionally with toTs) and collects base chunks + step pages. */
async function replay(c: InspectClient, req: Record<string, unknown>): Promise<Replay> {
  const id = c.nextId();
  const from = c.messages.length;
  c.send({ type: 'historyTree', id, room: ROOM, ...req });
  const mine = (m: InspectServerMessage): boolean => 'id' in m && m.id === id;
  if (req.toTs === undefined) {
    await c.waitFor((m) => m.type === 'historyTree' && m.id === id && m.last, 10_000, from);
  } else {
    await c.waitFor(
      (m) => (m.type === 'historyTreeSteps' && m.id === id && m.last) || (m.type === 'error' && m.id === id),
      20_000,
      from
    );
  }
  const got = c.messages.slice(from).filter(mine);
  const err = got.find((m) => m.type === 'error');
  if (err) throw new Error(`historyTree failed: ${JSON.stringify(err)}`);
  const chunks = got.filter((m): m is HistoryTreeMsg => m.type === 'historyTree');
  const messages = got.filter((m): m is StepsMsg => m.type === 'historyTreeSteps');
  // Base chunks first, in order, then the step pages.
  const kinds = got.map((m) => m.type);
  if (messages.length > 0)
    expect(kinds.lastIndexOf('historyTree')).toBeLessThan(kinds.indexOf('historyTreeSteps'));
  expect(chunks.map((m) => m.chunk)).toEqual(chunks.map((_, i) => i));
  return { base: chunks.flatMap((m) => m.nodes), steps: messages.flatMap((m) => m.steps), messages };
}

async function treeAt(c: InspectClient, ts: number): Promise<Map<string, TreeNode>> {
  const r = await replay(c, { at: ts });
  return new Map(r.base.map((n) => [n.path, n]));
}

function applyStep(view: Map<string, TreeNode>, s: HistoryTreeStep): void {
  for (const r of s.removed)
    for (const k of [...view.keys()]) if (k === r || k.startsWith(r + '/')) view.delete(k);
  for (const n of [...s.added, ...s.changed]) view.set(n.path, n);
}

const sorted = (m: Map<string, TreeNode>): Array<[string, TreeNode]> =>
  [...m.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));

/** Nodes whose parent is missing from the view (a consistent tree has none). */
function orphans(m: Map<string, TreeNode>): string[] {
  return [...m.values()].filter((n) => n.parent !== '' && !m.has(n.parent)).map((n) => n.path);
}

beforeAll(async () => {
  // No compaction during the test: every instant is rebuilt from the same base.
  pod = await startPod({ env: { COLLAB_COMPACT_OPS: '1000000', COLLAB_COMPACT_INTERVAL_MS: '60000' } });
  const a = await client('alice-r');
  const b = await client('bob-r');
  const c = await client('carol-r');
  const text = a.doc.getText('text');
  const meta = a.doc.getMap<unknown>('meta');
  const arr = a.doc.getArray<unknown>('arr');
  const tasks = a.doc.getArray<Y.Map<unknown>>('tasks');
  const gap = (): Promise<void> => sleep(6);
  const state = (d: Y.Doc): string =>
    JSON.stringify([
      d.getText('text').toString(),
      d.getMap('meta').toJSON(),
      d.getArray('arr').toJSON(),
      d.getArray('tasks').toJSON(),
    ]);
  const synced = (who: StockClient, what: string): Promise<void> =>
    waitFor(() => state(who.doc) === state(a.doc), 5000, `sync ${what}`);
  t0 = Date.now();
  // Before `at`: the base.
  text.insert(0, 'hello world');
  await gap();
  meta.set('title', SECRET_A);
  await gap();
  arr.push([1, 2, 3]);
  await synced(b, 'base');
  await sleep(30);
  at = Date.now();
  await sleep(30);
  // The replayed range.
  meta.set('stage', 'draft');
  await gap();
  meta.set('title', 'Plan v2');
  await synced(b, 'title');
  b.doc.getMap('meta').delete('title');
  await synced(a, 'delete');
  await gap();
  arr.insert(1, ['x']);
  await gap();
  arr.delete(0, 1);
  await gap();
  text.insert(5, ',');
  await synced(b, 'text');
  b.doc.getText('text').delete(0, 1);
  await synced(a, 'text delete');
  await gap();
  a.doc.transact(() => {
    const task = new Y.Map<unknown>();
    tasks.push([task]);
    task.set('done', false);
    task.set('tags', Y.Array.from(['a', 'b']));
  });
  await gap();
  (tasks.get(0) as Y.Map<unknown>).set('done', true);
  await synced(c, 'task');
  // Carol keeps a reference to the task, which Alice then deletes.
  const carolTask = c.doc.getArray<Y.Map<unknown>>('tasks').get(0) as Y.Map<unknown>;
  await synced(b, 'task b');
  b.doc.getMap('meta').set('notes', new Y.Text(SECRET_B));
  await synced(a, 'notes');
  await gap();
  tasks.delete(0, 1);
  await synced(c, 'task deleted');
  await gap();
  // An update into a deleted type: nothing visible changes (Carol never wrote anything else).
  carolTask.set('late', 1);
  await sleep(50);
  await gap();
  meta.set('stage', 'review');
  await synced(b, 'end');
  await sleep(50);
  end = Date.now();
});

afterAll(async () => {
  for (const i of inspectors) i.ws.terminate();
  for (const c of clients) c.destroy();
  await pod?.cleanup();
});

describe('historyTree replay', () => {
  it('base + steps equal historyTree at every step, node for node, and the live tree at the end', async () => {
    const c = await openInspector('content');
    const r = await replay(c, { at, toTs: end });
    expect(c.invalid).toEqual([]);
    const lastMsgs = r.messages.filter((m) => m.last);
    expect(lastMsgs).toHaveLength(1);
    expect(r.messages[r.messages.length - 1]?.last).toBe(true);
    expect(lastMsgs[0]?.truncated).toBe(false);

    // The steps are exactly the logged updates in (at, end], in seq order.
    const hist = (await c.request({
      type: 'history',
      room: ROOM,
      fromTs: at + 1,
      toTs: end,
      limit: 1000,
    })) as Extract<InspectServerMessage, { type: 'history' }>;
    expect(hist.type).toBe('history');
    expect(r.steps.map((s) => s.seq)).toEqual(hist.entries.map((e) => e.seq));
    expect(r.steps.length).toBeGreaterThanOrEqual(13);
    for (const s of r.steps) {
      expect(s.ts).toBeGreaterThan(at);
      expect(s.ts).toBeLessThanOrEqual(end);
    }

    // The history is not trivial: nested adds, subtree removal, changes, and a step with no visible change.
    expect(r.steps.some((s) => s.added.some((n) => n.depth >= 3))).toBe(true);
    expect(r.steps.some((s) => s.removed.includes('/tasks/0'))).toBe(true);
    expect(r.steps.some((s) => s.removed.includes('/meta/title'))).toBe(true);
    expect(
      r.steps.some((s) => s.added.length === 0 && s.changed.length === 0 && s.removed.length === 0)
    ).toBe(true);
    // Removed paths are top-most only (a removed subtree is one path).
    for (const s of r.steps)
      for (const p of s.removed) expect(s.removed.some((q) => p.startsWith(q + '/'))).toBe(false);

    const view = new Map(r.base.map((n) => [n.path, n]));
    expect(sorted(view)).toEqual(sorted(await treeAt(c, at)));
    let compared = 0;
    for (let i = 0; i < r.steps.length; i++) {
      const s = r.steps[i] as HistoryTreeStep;
      applyStep(view, s);
      expect(orphans(view)).toEqual([]);
      // An instant shows every update logged at it: compare at the last step of a millisecond.
      if (r.steps[i + 1]?.ts === s.ts) continue;
      const expected = await treeAt(c, s.ts);
      expect(sorted(view), `step ${i} (seq ${s.seq})`).toEqual(sorted(expected));
      compared++;
    }
    expect(compared).toBeGreaterThanOrEqual(10);

    // A step carries what its update touched, not every node of its writer.
    const lastStep = r.steps[r.steps.length - 1] as HistoryTreeStep;
    expect(lastStep.added).toEqual([]);
    expect(lastStep.removed).toEqual([]);
    expect(lastStep.changed.map((n) => n.path).sort()).toEqual(['/meta', '/meta/stage']);
    // lastTime is the write time of the node's latest item.
    expect(view.get('/meta/stage')?.lastTime).toBe(lastStep.ts);
    expect(view.get('/text')?.lastTime).toBeLessThan(lastStep.ts);
    const firstStep = r.steps[0] as HistoryTreeStep;
    expect(view.get('/arr/2')?.lastTime).toBeLessThan(firstStep.ts);

    const final = await treeAt(c, end);
    expect(sorted(view)).toEqual(sorted(final));
    expect(view.get('/meta/stage')?.value).toBe('review');
    expect(view.has('/meta/title')).toBe(false);
    expect(view.has('/tasks/0')).toBe(false);
    expect(view.get('/meta/notes')?.value).toBe(SECRET_B);
    expect(view.get('/text')?.value).toBe(clients[0]?.doc.getText('text').toString());

    // The live tree (a `tree` subscription): same structure and values (attribution
    // differs: the live tracker records change times as it observes them).
    const sub = await c.subscribe('tree', ROOM);
    await c.waitFor((m) => m.type === 'treeSnapshot' && m.sub === sub && m.last, 10_000);
    const live = new Map(
      c
        .ofType('treeSnapshot', sub)
        .flatMap((m) => m.nodes)
        .map((n) => [n.path, n])
    );
    const shape = (m: Map<string, TreeNode>): Array<[string, unknown]> =>
      sorted(m).map(([p, n]) => [p, { type: n.type, size: n.size, children: n.children, value: n.value }]);
    expect(shape(view)).toEqual(shape(live));
  });

  it('maxSteps truncates: the steps stop at the bound and the last message says so', async () => {
    const c = await openInspector('content');
    const full = await replay(c, { at, toTs: end });
    const r = await replay(c, { at, toTs: end, maxSteps: 3 });
    expect(r.steps.map((s) => s.seq)).toEqual(full.steps.slice(0, 3).map((s) => s.seq));
    expect(r.steps).toEqual(full.steps.slice(0, 3));
    const last = r.messages[r.messages.length - 1];
    expect(last?.last).toBe(true);
    expect(last?.truncated).toBe(true);
    // Exactly as many steps as the range holds: not truncated.
    const exact = await replay(c, { at, toTs: end, maxSteps: full.steps.length });
    expect(exact.steps).toHaveLength(full.steps.length);
    expect(exact.messages[exact.messages.length - 1]?.truncated).toBe(false);
  });

  it('an empty range sends the base and one last message with no steps', async () => {
    const c = await openInspector('content');
    for (const range of [
      { at, toTs: at },
      { at: t0 - 60_000, toTs: t0 - 1_000 },
    ]) {
      const r = await replay(c, range);
      expect(r.messages).toHaveLength(1);
      expect(r.messages[0]).toMatchObject({
        last: true,
        truncated: false,
        steps: [],
        at: range.at,
        toTs: range.toTs,
      });
    }
    const before = await replay(c, { at: t0 - 60_000, toTs: at });
    expect(before.base).toEqual([]);
    expect(before.steps.length).toBeGreaterThanOrEqual(3);
    const view = new Map<string, TreeNode>();
    for (const s of before.steps) applyStep(view, s);
    expect(sorted(view)).toEqual(sorted(await treeAt(c, at)));
  });

  it('rejects a bad toTs or maxSteps with an error carrying the request id; the session keeps working', async () => {
    const c = await openInspector('content');
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ at, toTs: at - 1 }, 'range_invalid'],
      [{ at, toTs: at + INSPECT_LIMITS.maxHistorySpanMs + 1 }, 'range_too_large'],
      [{ at, toTs: end, maxSteps: INSPECT_LIMITS.maxHistorySteps + 1 }, 'malformed'],
      [{ at, toTs: end, maxSteps: 0 }, 'malformed'],
    ];
    for (const [req, code] of cases) {
      const m = (await c.request({ type: 'historyTree', room: ROOM, ...req })) as ErrorMsg;
      expect(m.type, JSON.stringify(req)).toBe('error');
      expect(m.code, JSON.stringify(req)).toBe(code);
      expect(m.message.length).toBeGreaterThan(0);
    }
    // Nothing else was sent for those ids.
    expect(c.ofType('historyTree')).toHaveLength(0);
    expect(c.ofType('historyTreeSteps')).toHaveLength(0);
    const ok = await replay(c, { at, toTs: end, maxSteps: 2 });
    expect(ok.steps).toHaveLength(2);
  });

  it('pages steps over the socket: <= stepsChunkNodes nodes per message, a bigger step alone', async () => {
    const room = 'acme/replay-big';
    const token = await mintToken({ org: 'acme', sub: 'dave-r', name: 'dave-r' });
    const d = connectClient(pod.wsUrl, room, token);
    clients.push(d);
    await d.synced;
    const from = Date.now();
    await sleep(5);
    const big = d.doc.getMap<unknown>('big');
    for (let i = 0; i < 3; i++) {
      big.set(`small${i}`, i);
      await sleep(4);
    }
    d.doc.transact(() => {
      const inner = new Y.Map<unknown>();
      big.set('bulk', inner);
      for (let i = 0; i < INSPECT_LIMITS.stepsChunkNodes + 500; i++) inner.set(`k${i}`, i);
    });
    await sleep(4);
    for (let i = 0; i < 3; i++) {
      big.set(`after${i}`, i);
      await sleep(4);
    }
    const c = await openInspector('content');
    const until = Date.now() + 100;
    await sleep(150);
    const id = c.nextId();
    const start = c.messages.length;
    c.send({ type: 'historyTree', id, room, at: from, toTs: until });
    await c.waitFor((m) => m.type === 'historyTreeSteps' && m.id === id && m.last, 20_000, start);
    const msgs = c.messages
      .slice(start)
      .filter((m): m is StepsMsg => m.type === 'historyTreeSteps' && m.id === id);
    expect(msgs.length).toBeGreaterThanOrEqual(3);
    const weight = (m: StepsMsg): number =>
      m.steps.reduce((n, s) => n + s.added.length + s.changed.length + s.removed.length, 0);
    for (const m of msgs) {
      if (m.steps.length > 1) expect(weight(m)).toBeLessThanOrEqual(INSPECT_LIMITS.stepsChunkNodes);
    }
    const bulk = msgs.find((m) => m.steps.some((s) => s.added.some((n) => n.path === '/big/bulk')));
    expect(bulk?.steps).toHaveLength(1);
    expect(weight(bulk as StepsMsg)).toBeGreaterThan(INSPECT_LIMITS.stepsChunkNodes);
    expect(msgs.flatMap((m) => m.steps)).toHaveLength(7);
    expect(msgs.map((m) => m.last)).toEqual(msgs.map((_, i) => i === msgs.length - 1));
  });

  it('metadata scope: steps carry no values and the same patches otherwise', async () => {
    const content = await openInspector('content');
    const full = await replay(content, { at: t0 - 1, toTs: end });
    const m = await openInspector('metadata');
    const r = await replay(m, { at: t0 - 1, toTs: end });
    expect(m.invalid).toEqual([]);
    expect(r.steps.map((s) => s.seq)).toEqual(full.steps.map((s) => s.seq));
    for (const s of r.steps)
      for (const n of [...s.added, ...s.changed]) expect(n).not.toHaveProperty('value');
    // Metadata scope: no values, and formatting runs keep their lengths and marks without their text.
    const strip = (n: TreeNode): TreeNode => {
      const copy = { ...n };
      delete copy.value;
      if (copy.runs) copy.runs = copy.runs.map(({ text: _text, ...run }) => run);
      return copy;
    };
    expect(r.steps).toEqual(
      full.steps.map((s) => ({ ...s, added: s.added.map(strip), changed: s.changed.map(strip) }))
    );
    const raw = m.raw.join('\n');
    for (const secret of [SECRET_A, SECRET_B, 'hello world', 'draft', 'review'])
      expect(raw).not.toContain(secret);
  });
});
