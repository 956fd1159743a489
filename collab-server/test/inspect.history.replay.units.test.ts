/**
 * historyTree replay in process: random multi-client edit histories (maps,
 * arrays, text, nested types, XML) logged with known times into an in-memory
 * log; base + steps must equal the tree rebuilt at every step's instant, node
 * for node. Also paging bounds, truncation, storage failure, exact item times
 * and the tracker's `recordChanges` switch.
 */
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { HistoryTreeStep, TreeNode } from '@collabblocks/protocol';
import type { LoadedRoom, Snapshot, Storage, StoredUpdate } from '../src/storage/types.js';
import {
  HistoryError,
  ItemTimes,
  rebuildDocAt,
  stepWeight,
  treeOf,
  TreeReplay,
  type ReplayBudget,
  type ReplayPage,
  TreeTracker,
  type WalkContext,
} from '@collabblocks/monitor';
import { addItemMaps } from './helpers/docs.js';

const ROOM = 'acme/units';

/** The two reads a replay uses, over an in-memory log (other members unused here). */
class MemoryLog implements Storage {
  readonly kind = 'sqlite' as const;
  readonly log: StoredUpdate[] = [];
  readonly snapshots: Snapshot[] = [];
  failReads = false;
  async init(): Promise<void> {}
  async append(_room: string, updates: Array<Omit<StoredUpdate, 'seq'>>): Promise<number[]> {
    return updates.map((u) => {
      const seq = this.log.length + 1;
      this.log.push({ ...u, seq });
      return seq;
    });
  }
  async load(): Promise<LoadedRoom> {
    return { snapshot: null, updates: this.log };
  }
  async saveSnapshot(_room: string, s: Snapshot): Promise<void> {
    this.snapshots.push(s);
  }
  async readRange(): Promise<StoredUpdate[]> {
    return [];
  }
  async readAfter(_room: string, afterSeq: number, limit: number): Promise<StoredUpdate[]> {
    if (this.failReads) throw new Error('disk on fire');
    return this.log.filter((u) => u.seq > afterSeq).slice(0, limit);
  }
  async snapshotAtOrBefore(_room: string, ts: number): Promise<Snapshot | null> {
    const ok = this.snapshots.filter((s) => s.ts <= ts);
    return ok[ok.length - 1] ?? null;
  }
  async prune(): Promise<number> {
    return 0;
  }
  async stats(): Promise<[]> {
    return [];
  }
  async close(): Promise<void> {}
}

/** Deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Three clients editing one document through a relay that logs every local
 * update with a fake, non-decreasing clock (sometimes two updates share a ms).
 */
async function randomHistory(seed: number, ops: number, store: MemoryLog): Promise<void> {
  const rand = rng(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const docs = [new Y.Doc(), new Y.Doc(), new Y.Doc()];
  let now = 1_700_000_000_000;
  for (const d of docs) {
    d.on('update', (u: Uint8Array, origin: unknown) => {
      if (origin === 'relay') return;
      void store.append(ROOM, [{ clientId: d.clientID, ts: now, update: u }]);
      for (const o of docs) if (o !== d) Y.applyUpdate(o, u, 'relay');
    });
  }
  const word = (): string => pick(['alpha', 'beta', 'gamma', 'delta', 'x', 'lorem ipsum']);
  for (let i = 0; i < ops; i++) {
    now += pick([0, 1, 1, 2, 3]);
    const d = pick(docs);
    const m = d.getMap<unknown>('m');
    const a = d.getArray<unknown>('a');
    const t = d.getText('t');
    const x = d.getXmlFragment('x');
    const r = rand();
    if (r < 0.15)
      m.set(pick(['k1', 'k2', 'k3', 'a/b', 'k~']), pick([1, 'two', true, null, { o: 1 }, [1, 2]]));
    else if (r < 0.22) {
      const k = pick([...m.keys()]);
      if (k !== undefined) m.delete(k);
    } else if (r < 0.3) {
      d.transact(() => {
        const inner = new Y.Map<unknown>();
        m.set(pick(['n1', 'n2']), inner);
        inner.set('deep', word());
        inner.set('list', Y.Array.from([1, 2, 3]));
      });
    } else if (r < 0.38) {
      const inner = m.get(pick(['n1', 'n2']));
      if (inner instanceof Y.Map) {
        const list = inner.get('list');
        if (list instanceof Y.Array && list.length > 0 && rand() < 0.5) list.delete(0, 1);
        else inner.set('deep', word());
      }
    } else if (r < 0.5) a.insert(Math.floor(rand() * (a.length + 1)), [pick([1, 'v', false]), word()]);
    else if (r < 0.58) {
      if (a.length > 0) {
        const at = Math.floor(rand() * a.length);
        a.delete(at, Math.min(a.length - at, 1 + Math.floor(rand() * 2)));
      }
    } else if (r < 0.64) a.insert(0, [new Y.Text(word())]);
    else if (r < 0.8) t.insert(Math.floor(rand() * (t.length + 1)), word());
    else if (r < 0.88) {
      if (t.length > 0) {
        const at = Math.floor(rand() * t.length);
        t.delete(at, Math.min(t.length - at, 3));
      }
    } else if (r < 0.95) {
      const el = new Y.XmlElement(pick(['p', 'h1']));
      el.setAttribute('class', word());
      el.insert(0, [new Y.XmlText(word())]);
      x.insert(0, [el]);
    } else {
      const first = x.get(0);
      if (first instanceof Y.XmlElement) first.setAttribute('class', word());
      else m.set('k1', i);
    }
  }
  await Promise.resolve();
  for (const d of docs) d.destroy();
}

function applyStep(view: Map<string, TreeNode>, s: HistoryTreeStep): void {
  for (const r of s.removed)
    for (const k of [...view.keys()]) if (k === r || k.startsWith(r + '/')) view.delete(k);
  for (const n of [...s.added, ...s.changed]) view.set(n.path, n);
}

const sorted = (m: Map<string, TreeNode>): Array<[string, TreeNode]> =>
  [...m.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));

async function treeMapAt(store: Storage, at: number): Promise<Map<string, TreeNode>> {
  const r = await rebuildDocAt(store, ROOM, at);
  const nodes = treeOf(r.doc, r.clientTimes, r.itemTimes);
  r.itemTimes.close();
  r.doc.destroy();
  return new Map(nodes.map((n) => [n.path, n]));
}

async function collect(
  store: Storage,
  at: number,
  toTs: number,
  maxSteps = 5000,
  pageNodes = 2000,
  budget?: ReplayBudget
): Promise<{ base: TreeNode[]; pages: ReplayPage[] }> {
  const replay = await TreeReplay.open(store, ROOM, at);
  try {
    const base = [...replay.base()];
    const pages: ReplayPage[] = [];
    for await (const p of replay.pages(store, ROOM, toTs, maxSteps, pageNodes, budget)) pages.push(p);
    return { base, pages };
  } finally {
    replay.close();
  }
}

describe('TreeReplay on random histories', () => {
  it.each([1, 2, 3, 4])('seed %i: base + each step equals the tree rebuilt at that instant', async (seed) => {
    const store = new MemoryLog();
    await randomHistory(seed, 220, store);
    const log = store.log;
    expect(log.length).toBeGreaterThan(150);
    // A snapshot before `at` (base from snapshot + log), none inside the range.
    const snapAt = log[29] as StoredUpdate;
    const sdoc = new Y.Doc();
    for (const u of log.slice(0, 30)) Y.applyUpdate(sdoc, u.update);
    await store.saveSnapshot(ROOM, { seq: snapAt.seq, ts: snapAt.ts, state: Y.encodeStateAsUpdate(sdoc) });
    sdoc.destroy();
    const at = (log[59] as StoredUpdate).ts;
    const toTs = (log[log.length - 1] as StoredUpdate).ts;

    const { base, pages } = await collect(store, at, toTs);
    expect(pages.filter((p) => p.last)).toHaveLength(1);
    expect(pages[pages.length - 1]?.truncated).toBe(false);
    const steps = pages.flatMap((p) => p.steps);
    expect(steps.map((s) => s.seq)).toEqual(log.filter((u) => u.ts > at).map((u) => u.seq));

    // The base is exactly treeOf of the rebuilt doc, in the same pre-order.
    expect(base).toEqual([...(await treeMapAt(store, at)).values()]);
    const view = new Map(base.map((n) => [n.path, n]));
    let compared = 0;
    for (let i = 0; i < steps.length; i++) {
      const s = steps[i] as HistoryTreeStep;
      applyStep(view, s);
      if (steps[i + 1]?.ts === s.ts) continue; // an instant includes every update logged at it
      expect(sorted(view), `seed ${seed} step ${i} seq ${s.seq}`).toEqual(
        sorted(await treeMapAt(store, s.ts))
      );
      compared++;
    }
    expect(compared).toBeGreaterThan(50);
  });

  it('pages hold at most pageNodes nodes (a bigger step alone), steps stay in order, maxSteps truncates', async () => {
    const store = new MemoryLog();
    await randomHistory(7, 150, store);
    const first = (store.log[0] as StoredUpdate).ts;
    const toTs = (store.log[store.log.length - 1] as StoredUpdate).ts;
    const { pages } = await collect(store, first - 1, toTs, 5000, 6);
    expect(pages.length).toBeGreaterThan(5);
    for (const p of pages) {
      const w = p.steps.reduce((n, s) => n + stepWeight(s), 0);
      if (p.steps.length > 1) expect(w).toBeLessThanOrEqual(6);
    }
    expect(pages.some((p) => p.steps.length === 1 && stepWeight(p.steps[0] as HistoryTreeStep) > 6)).toBe(
      true
    );
    const all = pages.flatMap((p) => p.steps);
    expect(all).toHaveLength(store.log.length);
    expect(pages.map((p) => p.last)).toEqual(pages.map((_, i) => i === pages.length - 1));

    const cut = await collect(store, first - 1, toTs, 40);
    const cutSteps = cut.pages.flatMap((p) => p.steps);
    expect(cutSteps.map((s) => s.seq)).toEqual(all.slice(0, 40).map((s) => s.seq));
    expect(cut.pages[cut.pages.length - 1]).toMatchObject({ last: true, truncated: true });
    const exact = await collect(store, first - 1, toTs, store.log.length);
    expect(exact.pages[exact.pages.length - 1]).toMatchObject({ last: true, truncated: false });
  });

  it('the per-request work budget (nodes, ms) stops the steps early, truncated, always past the first step', async () => {
    const store = new MemoryLog();
    await randomHistory(11, 120, store);
    const from = (store.log[0] as StoredUpdate).ts - 1;
    const toTs = (store.log[store.log.length - 1] as StoredUpdate).ts;
    const full = (await collect(store, from, toTs)).pages.flatMap((p) => p.steps);
    const byNodes = await collect(store, from, toTs, 5000, 2000, { nodes: 40, ms: 1e9 });
    const got = byNodes.pages.flatMap((p) => p.steps);
    expect(got.length).toBeGreaterThan(0);
    expect(got.length).toBeLessThan(full.length);
    expect(got).toEqual(full.slice(0, got.length));
    const sent = got.reduce((n, st) => n + stepWeight(st), 0);
    expect(sent).toBeLessThanOrEqual(Math.max(40, stepWeight(got[0] as HistoryTreeStep)));
    expect(sent + stepWeight(full[got.length] as HistoryTreeStep)).toBeGreaterThan(40);
    expect(byNodes.pages[byNodes.pages.length - 1]).toMatchObject({ last: true, truncated: true });
    const byTime = await collect(store, from, toTs, 5000, 2000, { nodes: 1e9, ms: 0 });
    expect(byTime.pages.flatMap((p) => p.steps)).toEqual(full.slice(0, 1));
    expect(byTime.pages[byTime.pages.length - 1]).toMatchObject({ last: true, truncated: true });
  });

  it('stops (no more pages, no error) once closed mid-replay, e.g. when the session goes away', async () => {
    const store = new MemoryLog();
    await randomHistory(13, 120, store);
    const replay = await TreeReplay.open(store, ROOM, 0);
    const pages: ReplayPage[] = [];
    for await (const p of replay.pages(store, ROOM, Number.MAX_SAFE_INTEGER, 5000, 3)) {
      pages.push(p);
      if (pages.length === 2) replay.close();
    }
    expect(pages).toHaveLength(2);
    expect(pages.every((p) => !p.last)).toBe(true);
  });

  it('a storage failure during the replay is a storage_error', async () => {
    const store = new MemoryLog();
    await randomHistory(9, 30, store);
    const replay = await TreeReplay.open(store, ROOM, 0);
    store.failReads = true;
    const run = async (): Promise<void> => {
      for await (const p of replay.pages(store, ROOM, Number.MAX_SAFE_INTEGER, 10, 100)) void p;
    };
    await expect(run()).rejects.toBeInstanceOf(HistoryError);
    await expect(run()).rejects.toMatchObject({ code: 'storage_error' });
    replay.close();
  });
});

describe('TreeReplay cost', () => {
  it('a step on a 100,000-node document is proportional to its update, also on a wide root map', async () => {
    const store = new MemoryLog();
    const d = new Y.Doc();
    let now = 1_700_000_000_000;
    d.on(
      'update',
      (u: Uint8Array) => void store.append(ROOM, [{ clientId: d.clientID, ts: now++, update: u }])
    );
    const data = d.getMap<unknown>('data');
    addItemMaps(d, data, 0, 20_000);
    const at = now - 1;
    for (let i = 0; i < 200; i++) {
      if (i % 2 === 0)
        data.set(`k${i % 20}`, i); // a key of the 20,000-wide root map
      else (data.get(`item${(i * 7919) % 20_000}`) as Y.Map<unknown>).set('a', -i);
    }
    data.delete('item5');
    d.destroy();
    const replay = await TreeReplay.open(store, ROOM, at);
    const base = [...replay.base()];
    const summarizedBefore = replay.work.summarized;
    const t0 = performance.now();
    const steps: HistoryTreeStep[] = [];
    for await (const p of replay.pages(store, ROOM, now, 5000, 2000)) steps.push(...p.steps);
    const ms = performance.now() - t0;
    const summarized = replay.work.summarized - summarizedBefore;
    replay.close();
    expect(base).toHaveLength(100_001);
    expect(steps).toHaveLength(201);
    for (const s of steps) expect(stepWeight(s)).toBeLessThanOrEqual(3);
    expect(steps[200]?.removed).toEqual(['/data/item5']);
    console.log(
      `replay of 201 steps on a 100,001-node document: ${summarized} nodes summarised, ${Math.round(ms)} ms`
    );
    // Bounded work in counts (a wall-clock bound flakes on a loaded machine): the keyed diff summarises a
    // few nodes per step; re-diffing all 20,000 children of the root map per step would be millions.
    expect(summarized).toBeLessThanOrEqual(4 * steps.length);
  }, 60_000);
});

describe('item times', () => {
  it('records the write time of each clock range, none for what predates the replay', () => {
    const doc = new Y.Doc();
    const src = new Y.Doc();
    const t = src.getText('t');
    t.insert(0, 'ab');
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(src)); // "snapshot": before the times are watched
    const times = new ItemTimes(doc);
    const sv = Y.encodeStateVector(doc);
    t.insert(2, 'cd');
    times.current = 1000;
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(src, sv));
    const sv2 = Y.encodeStateVector(doc);
    t.insert(4, 'e');
    times.current = 2000;
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(src, sv2));
    const c = src.clientID;
    expect(times.get(c, 0)).toBeUndefined();
    expect(times.get(c, 1)).toBeUndefined();
    expect([times.get(c, 2), times.get(c, 3)]).toEqual([1000, 1000]);
    expect(times.get(c, 4)).toBe(2000);
    expect(times.get(c + 1, 0)).toBeUndefined();
    // The text node's lastTime is the time of its newest character, though the items merged.
    const nodes = treeOf(doc, new Map([[c, 5]]), times);
    expect(nodes.find((n) => n.path === '/t')).toMatchObject({ value: 'abcde', lastTime: 2000 });
    times.close();
    doc.destroy();
    src.destroy();
  });
});

describe('tree tracker recordChanges', () => {
  it('off: transactions leave ctx.lastChange empty; on (default): they record it', async () => {
    for (const record of [false, true]) {
      const doc = new Y.Doc();
      const ctx: WalkContext = { clientTime: () => undefined, lastChange: new WeakMap() };
      const tracker = new TreeTracker(doc, ctx, () => undefined);
      tracker.recordChanges = record;
      await tracker.ready;
      const m = doc.getMap('m');
      m.set('k', 1);
      tracker.flush();
      expect(ctx.lastChange.has(m as unknown as Y.AbstractType<unknown>)).toBe(record);
      tracker.close();
      doc.destroy();
    }
  });
});
