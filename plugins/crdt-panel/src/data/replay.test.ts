import { describe, expect, it } from 'vitest';
import { createDataFrame, FieldType } from '@grafana/data';
import { COLLAB_FRAME_KIND_KEY } from '@collabblocks/protocol';

import { diffTrees } from './diff';
import { frameKind, treeFromFrame } from './frame';
import { DEFAULT_HISTORY_LIMITS, TreeHistory } from './history';
import { cloneModel, sameNode, type TreeModel, type TreeNodeModel } from './model';
import { applyPatch, computePatch, type TreePatch } from './patch';
import { stepsFromFrame } from './steps';
import { bigDocument, model, node, stepsFrame, treeFrame } from './testing';

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
 * `count` random steps on top of `base` (value changes, array inserts with a child, subtree removals,
 * empty updates), one every `dt` ms after `t0`. Keeps its own path list (O(1) per step on big models).
 */
function randomSteps(base: TreeModel, count: number, seed: number, t0 = 1000, dt = 10): TreePatch[] {
  const r = rng(seed);
  const work = cloneModel(base);
  const paths = [...work.nodes.keys()].filter((p) => work.nodes.get(p)?.parent !== '');
  const arrays = [...work.nodes.values()].filter((n) => n.type === 'Array').map((n) => n.path);
  const pick = (): TreeNodeModel | undefined => {
    for (let k = 0; k < 8; k++) {
      const n = work.nodes.get(paths[Math.floor(r() * paths.length)] ?? '');
      if (n) return n;
    }
    return undefined;
  };
  const steps: TreePatch[] = [];
  for (let i = 0; i < count; i++) {
    const p: TreePatch = {
      ts: t0 + (i + 1) * dt,
      seq: i + 1,
      clientId: 7,
      added: [],
      changed: [],
      removed: [],
    };
    const x = r();
    if (x < 0.55) {
      const n = pick();
      if (n) p.changed.push({ ...n, value: `v${i}`, lastClock: i, size: i % 13 });
    } else if (x < 0.75) {
      const arr = arrays[Math.floor(r() * arrays.length)];
      if (arr && work.nodes.has(arr)) {
        const ip = `${arr}/${1_000_000 + i}`;
        p.added.push(node(ip, 'Map', { children: 1 }), node(`${ip}/title`, 'Text', { value: `new ${i}` }));
        paths.push(ip, `${ip}/title`);
        if (r() < 0.5) {
          const n = pick();
          if (n && !p.added.some((a) => a.path === n.path)) p.changed.push({ ...n, value: `w${i}` });
        }
      }
    } else if (x < 0.9) {
      const n = pick();
      if (n && n.type !== 'Array') p.removed.push(n.path);
    }
    applyPatch(work, p);
    steps.push(p);
  }
  return steps;
}

/** Base + patches 0..j applied one by one, from scratch. */
function naive(base: TreeModel, steps: TreePatch[], j: number): TreeModel {
  const m = cloneModel(base);
  for (let i = 0; i <= j; i++) applyPatch(m, steps[i] as TreePatch);
  return m;
}

/**
 * First difference between two states ('' = the same nodes and the same children order; the Map's insertion
 * order is not compared: undoing a step re-adds paths at its end, and nothing reads that order).
 */
function stateDiff(a: TreeModel, b: TreeModel): string {
  if (a.nodes.size !== b.nodes.size) return `size ${a.nodes.size} vs ${b.nodes.size}`;
  for (const [p, n] of a.nodes) {
    const m = b.nodes.get(p);
    if (!m) return `missing ${p}`;
    if (n !== m && !sameNode(n, m)) return `node ${p}`;
  }
  if (a.childrenOf.size !== b.childrenOf.size) return 'childrenOf size';
  for (const [p, kids] of a.childrenOf) {
    const other = b.childrenOf.get(p);
    if (!other || other.length !== kids.length || kids.some((k, i) => other[i] !== k)) return `children ${p}`;
  }
  return '';
}

function expectSameState(a: TreeModel, b: TreeModel): void {
  expect(stateDiff(a, b)).toBe('');
}

const doc = () =>
  model(
    [
      node('/doc', 'Map', { children: 2 }),
      node('/doc/title', 'Text', { value: 'one', valueType: 'string' }),
      node('/doc/items', 'Array', { children: 2 }),
      node('/doc/items/0', 'value', { value: '1' }),
      node('/doc/items/1', 'value', { value: '2' }),
    ],
    1000
  );

describe('treeSteps frames', () => {
  it('groups rows by seq in order: removed paths, added/changed nodes, none = an empty patch', () => {
    const base = doc();
    const steps: TreePatch[] = [
      {
        ts: 2000,
        seq: 11,
        clientId: 5,
        added: [],
        changed: [{ ...base.nodes.get('/doc/title')!, value: 'two' }],
        removed: [],
      },
      { ts: 2000, seq: 12, clientId: 6, added: [], changed: [], removed: [] },
      {
        ts: 3000,
        seq: 13,
        clientId: 5,
        added: [node('/doc/items/2', 'value', { value: '3' })],
        changed: [{ ...base.nodes.get('/doc/items')!, children: 2 }],
        removed: ['/doc/items/0'],
      },
    ];
    const frame = stepsFrame(steps, { from: 1000, to: 4000, truncated: true });
    expect(frameKind(frame)).toBe('treeSteps');
    const parsed = stepsFromFrame(frame)!;
    expect(parsed.meta).toMatchObject({
      room: 'acme/doc',
      pod: 'pod-a',
      from: 1000,
      to: 4000,
      truncated: true,
      scope: 'content',
    });
    expect(parsed.steps).toEqual(steps);
  });

  it('tolerates bad frames: missing fields give null, bad rows are skipped, odd values never crash', () => {
    expect(stepsFromFrame(createDataFrame({ fields: [] }))).toBeNull();
    const noOp = stepsFrame([{ ts: 2000, seq: 1, added: [], changed: [], removed: ['/a'] }]);
    noOp.fields = noOp.fields.filter((f) => f.name !== 'op');
    expect(stepsFromFrame(noOp)).toBeNull();
    const odd = createDataFrame({
      meta: { custom: { [COLLAB_FRAME_KIND_KEY]: 'treeSteps', from: 'x' } },
      fields: [
        { name: 'timestamp', type: FieldType.time, values: [2000, null, 3000, 4000, 5000] },
        { name: 'seq', type: FieldType.number, values: [1, 2, 3, 4, 5] },
        { name: 'op', type: FieldType.string, values: ['added', 'added', 'exploded', 'removed', 'changed'] },
        { name: 'path', type: FieldType.string, values: ['/a', '/b', '/c', '', 42] },
        { name: 'value', type: FieldType.other, values: [{ no: 1 }, null, null, null, null] },
      ],
    });
    const parsed = stepsFromFrame(odd)!;
    expect(parsed.meta.from).toBeNull();
    expect(parsed.meta.to).toBe(5000);
    expect(parsed.steps.map((s) => s.ts)).toEqual([2000, 4000, 5000]);
    expect(parsed.steps[0]?.added[0]).toMatchObject({ path: '/a', parent: '', value: '[object Object]' });
    expect(parsed.steps[1]).toMatchObject({ removed: [], added: [], changed: [] });
    expect(parsed.steps[2]?.changed[0]?.path).toBe('42');
  });

  it('groups rows without seq by instant and client', () => {
    const f = stepsFrame([
      { ts: 2000, clientId: 1, added: [], changed: [node('/a', 'Map'), node('/b', 'Map')], removed: [] },
      { ts: 2000, clientId: 2, added: [], changed: [node('/c', 'Map')], removed: [] },
    ]);
    expect(stepsFromFrame(f)?.steps.map((s) => s.changed.length)).toEqual([2, 1]);
  });
});

describe('chain history', () => {
  it('a keyframe with replayed steps gives base + patches at every step, exact within the range', () => {
    const base = doc();
    const steps = randomSteps(base, 60, 1);
    const h = new TreeHistory();
    h.addKeyframe(base, steps, { to: 5000, truncated: false });
    for (let j = -1; j < steps.length; j++) {
      const t = j < 0 ? 1000 : (steps[j] as TreePatch).ts;
      const s = h.stateAt(t)!;
      expect(s).toMatchObject({ ts: t, source: 'keyframe', before: false, exact: true });
      expectSameState(s.model, naive(base, steps, j));
      // Between two steps: still the state after the earlier one.
      expect(h.stateAt(t + 5)?.model).toBe(s.model);
    }
    expect(h.stateAt(4999)?.exact).toBe(true);
    expect(h.stateAt(5001)).toMatchObject({ exact: false, ts: steps.at(-1)?.ts });
    expect(h.stateAt(999)).toMatchObject({ before: true, exact: false, ts: 1000 });
    expect(h.instants()).toEqual([1000, ...steps.map((s) => s.ts)]);
    expect(h.exactRanges()).toEqual([[1000, 5000]]);
  });

  it('the cached cursor and checkpoints give the same states as a naive replay, in any order', () => {
    const base = model(bigDocument(2_000, 10), 1000);
    const steps = randomSteps(base, 400, 2);
    // Small checkpoint interval and budget: exercises checkpoint use and eviction.
    const h = new TreeHistory({ checkpointEvery: 16, maxCheckpointNodes: 6 * base.nodes.size });
    h.addKeyframe(base, steps, { to: 99_000, truncated: false });
    // The replay spreads its checkpoints: ≤ 8 intervals, at least checkpointEvery steps each.
    const r = rng(3);
    const order = [
      ...Array.from({ length: 40 }, (_, i) => i * 10), // forward
      ...Array.from({ length: 40 }, (_, i) => 399 - i * 10), // backward
      ...Array.from({ length: 60 }, () => Math.floor(r() * 401) - 1), // jumps
    ];
    const kept: Array<[number, TreeModel]> = [];
    order.forEach((j, k) => {
      const t = j < 0 ? 1000 : (steps[j] as TreePatch).ts;
      // Alternate the panel's view (the cursor, moved in place) and stable copies.
      const view = k % 3 !== 0;
      const s = h.stateAt(t, { view })!;
      expectSameState(s.model, naive(base, steps, j));
      if (!view && kept.length < 10) kept.push([j, s.model]);
    });
    // Both ways back were taken: undo on the cursor and restart from a checkpoint.
    expect(h.stats.patchesUndone).toBeGreaterThan(0);
    // Models handed out earlier were never mutated by later moves.
    for (const [j, m] of kept) expectSameState(m, naive(base, steps, j));
  });

  it('bounds: replay steps are cut (and the replay marked truncated), keyframes are evicted oldest first', () => {
    const base = doc();
    const steps = randomSteps(base, 10, 4);
    const h = new TreeHistory({ maxReplaySteps: 4, maxKeyframes: 2 });
    h.addKeyframe(base, steps, { to: 9000, truncated: false });
    expect(h.replaySteps).toBe(4);
    const lastKept = (steps[3] as TreePatch).ts;
    expect(h.exactRanges()).toEqual([[1000, lastKept]]);
    expect(h.stateAt(lastKept)?.exact).toBe(true);
    expect(h.stateAt(lastKept + 1)).toMatchObject({ exact: false, ts: lastKept });
    expectSameState(h.stateAt(8000)!.model, naive(base, steps, 3));
    h.addKeyframe(model([node('/k2', 'Map')], 20_000));
    h.addKeyframe(model([node('/k3', 'Map')], 30_000));
    expect(h.instants()).toEqual([20_000, 30_000]);
    expect(h.stateAt(1500)).toMatchObject({ before: true, ts: 20_000 });
  });

  it('a truncated replay is exact only through its last step', () => {
    const base = doc();
    const steps = randomSteps(base, 5, 5);
    const h = new TreeHistory();
    h.addKeyframe(base);
    expect(h.attachReplay(1000, 'other/room', steps, { to: 9000, truncated: true })).toBe(false);
    expect(h.attachReplay(1000, 'acme/doc', steps, { to: 9000, truncated: true })).toBe(true);
    expect(h.stateAt(1050)?.exact).toBe(true);
    expect(h.stateAt(1051)?.exact).toBe(false);
  });

  it('steps and diffs across a keyframe replay and the live chain', () => {
    const base = doc();
    const steps = randomSteps(base, 30, 6); // 1010..1300
    const h = new TreeHistory();
    h.addKeyframe(base, steps, { to: 2000, truncated: false });
    // The panel watched live from 3000: two emissions.
    let live = cloneModel(naive(base, steps, 29));
    live.meta.ts = 3000;
    h.pushLive(live);
    const l1 = cloneModel(live);
    applyPatch(l1, { ts: 4000, added: [node('/live', 'Text', { value: 'x' })], changed: [], removed: [] });
    h.pushLive(l1);
    live = l1;
    expect(h.stateAt(2500)).toMatchObject({ source: 'keyframe', exact: false, ts: 1300 });
    expect(h.stateAt(3500)).toMatchObject({ source: 'live', exact: false, ts: 3000 });
    expect(h.stateAt(4500)?.model.nodes.get('/live')?.value).toBe('x');
    // Every step is an instant to step through.
    expect(h.instants()).toEqual([1000, ...steps.map((s) => s.ts), 3000, 4000]);
    // Diff between an instant of the replay and one of the live chain.
    const a = h.stateAt((steps[4] as TreePatch).ts)!.model;
    const b = h.stateAt(4500)!.model;
    const expected = computePatch(naive(base, steps, 4), live);
    const d = diffTrees(a, b);
    expect(d.added).toBe(expected.added.length);
    expect(d.changed).toBe(expected.changed.length);
    expect(d.kinds.get('/live')).toBe('added');
    // Asking the first chain again after the live one gives the same (still correct) state.
    expectSameState(h.stateAt((steps[4] as TreePatch).ts)!.model, naive(base, steps, 4));
  });

  it('a replay covering t wins over a live state in the same span', () => {
    const base = doc();
    const steps = randomSteps(base, 20, 7); // 1010..1200
    const h = new TreeHistory();
    const live = model([node('/other', 'Map')], 1100);
    h.pushLive(live);
    const l1 = cloneModel(live);
    applyPatch(l1, { ts: 1550, added: [node('/other/x', 'Text')], changed: [], removed: [] });
    h.pushLive(l1);
    h.addKeyframe(base, steps, { to: 1500, truncated: false });
    // Inside the replay: the replay, though the live chain has a state at 1100.
    expect(h.stateAt(1150)).toMatchObject({ source: 'keyframe', exact: true, ts: 1150 });
    expect(h.stateAt(1150)?.model.nodes.has('/other')).toBe(false);
    // Past it: the newest state at or before t.
    expect(h.stateAt(1520)).toMatchObject({ source: 'keyframe', exact: false, ts: 1200 });
    expect(h.stateAt(1600)).toMatchObject({ source: 'live', exact: false, ts: 1550 });
  });

  it('bounds memory by nodes: auto-refreshed keyframes of a 100k-node document stay within the budget', () => {
    const nodes = bigDocument(100_000);
    const h = new TreeHistory();
    // Auto-refresh with at=$__from: a new keyframe (a full copy) every refresh.
    for (let i = 0; i < 20; i++) h.addKeyframe(model(nodes, 1000 + i * 5_000));
    expect(h.retainedNodes).toBeLessThanOrEqual(DEFAULT_HISTORY_LIMITS.maxNodes);
    expect(h.keyframeCount).toBe(Math.floor(DEFAULT_HISTORY_LIMITS.maxNodes / nodes.length));
    // The newest instants are kept, the oldest went first.
    expect(h.instants().at(-1)).toBe(1000 + 19 * 5_000);
    expect(h.stateAt(1000)).toMatchObject({ before: true });
  });

  it('shares the node budget between keyframes and live patches, oldest first; the last keyframe stays', () => {
    const doc1k = Array.from({ length: 1_000 }, (_, i) => node(`/n${i}`, 'value', { value: '0' }));
    const h = new TreeHistory({ maxNodes: 5_000 });
    h.addKeyframe(model(doc1k, 100));
    h.addKeyframe(model(doc1k, 200));
    let live = model(doc1k, 1_000);
    h.pushLive(live);
    expect(h.retainedNodes).toBe(3_000);
    // Live patches of 500 nodes each: the keyframes (older) go before the live patches do.
    const emit = (ts: number) => {
      const next = cloneModel(live);
      next.meta.ts = ts;
      for (let i = 0; i < 500; i++) {
        const n = next.nodes.get(`/n${(ts / 10 + i) % 1_000}`)!;
        next.nodes.set(n.path, { ...n, value: String(ts) });
      }
      h.pushLive(next);
      live = next;
    };
    for (let ts = 2_000; ts <= 4_000; ts += 1_000) emit(ts);
    expect(h.retainedNodes).toBe(4_503);
    expect(h.keyframeCount).toBe(2);
    emit(5_000);
    expect(h.retainedNodes).toBeLessThanOrEqual(5_000);
    expect(h.keyframeCount).toBe(1);
    expect(h.instants()).toEqual([200, 1_000, 2_000, 3_000, 4_000, 5_000]);
    for (let ts = 6_000; ts <= 12_000; ts += 1_000) emit(ts);
    expect(h.retainedNodes).toBeLessThanOrEqual(5_000);
    // The keyframe added last is kept; the oldest live patches were folded into the live base.
    expect(h.keyframeCount).toBe(1);
    expect(h.liveSteps).toBeLessThan(11);
    expect(h.liveSteps).toBeGreaterThan(0);
    // What is kept is still right.
    const newest = h.stateAt(12_000)!.model;
    expect([...newest.nodes.values()].map((n) => n.value)).toEqual(
      [...live.nodes.values()].map((n) => n.value)
    );
    expect(h.stateAt(250)?.model.nodes.size).toBe(1_000);
    // A keyframe added now is kept even though it is the oldest instant.
    h.addKeyframe(model(doc1k, 50));
    expect(h.keyframeCount).toBe(1);
    expect(h.instants()[0]).toBe(50);
  });

  it('5,000 steps on a 100k-node model: slider moves apply few patches, results equal a naive replay', () => {
    let t = performance.now();
    const lap = (what: string) => {
      const now = performance.now();
      if (process.env.REPLAY_TIMINGS) console.log(`${what}: ${Math.round(now - t)} ms`);
      t = now;
    };
    const base = model(bigDocument(100_000), 1000);
    const steps = randomSteps(base, 5_000, 8);
    lap('build 100k model + 5000 steps');
    const h = new TreeHistory();
    h.addKeyframe(base, steps, { to: 60_000, truncated: false });
    const at = (j: number) => (steps[j] as TreePatch).ts;
    const perMove: number[] = [];
    const move = (j: number) => {
      const before = h.stats.patchesApplied;
      const s = h.stateAt(at(j), { view: true })!;
      perMove.push(h.stats.patchesApplied - before);
      return s;
    };
    // A forward sweep applies each patch once in total.
    for (let j = 0; j < 5_000; j += 125) move(j);
    lap('forward sweep, 40 moves');
    expect(h.stats.patchesApplied).toBeLessThanOrEqual(4_876);
    // Forward moves copy nothing but the first state and the checkpoints (7).
    expect(h.stats.copies).toBeLessThanOrEqual(1 + 7);
    // Backwards and random jumps: from the nearest checkpoint (one interval: the 800k-node budget holds 7
    // copies of this document with room to grow, 5,000 / 7 steps) or from the cursor when no checkpoint
    // saves more than half an interval: at most 1.5 intervals.
    const interval = Math.ceil(1.5 * Math.ceil(5_000 / 7));
    perMove.length = 0;
    const r = rng(9);
    for (let k = 0; k < 20; k++) move(Math.floor(r() * 5_000));
    for (let j = 4_999; j > 0; j -= 500) move(j);
    lap('30 random/backward moves');
    expect(Math.max(...perMove)).toBeLessThanOrEqual(interval);
    // Stepping back one update at a time undoes it on the cursor: no copy, no patch applied.
    const copies = h.stats.copies;
    const undone = h.stats.patchesUndone;
    for (let j = 4_000; j > 3_990; j--) move(j);
    expect(h.stats.patchesUndone - undone).toBeGreaterThanOrEqual(9);
    expect(h.stats.copies - copies).toBeLessThanOrEqual(1);
    expectSameState(move(3_990).model, naive(base, steps, 3_990));
    const s = move(2_345);
    expectSameState(s.model, naive(base, steps, 2_345));
    expectSameState(move(4_999).model, naive(base, steps, 4_999));
    lap('two checks against a naive replay');
    // Bounded work in counts (a wall-clock bound flakes on a shared machine): a naive replay would apply
    // 2,346 patches here.
    expect(perMove.at(-2)).toBeLessThanOrEqual(interval);
  });

  it('reads a historyTree frame and its treeSteps frame into one exact chain', () => {
    const base = doc();
    const steps = randomSteps(base, 8, 10);
    const h = new TreeHistory();
    const kf = treeFromFrame(treeFrame([...base.nodes.values()], { ts: 1000 }, 'historyTree'))!;
    const parsed = stepsFromFrame(stepsFrame(steps, { from: 1000, to: 2000 }))!;
    h.addKeyframe(kf);
    expect(h.attachReplay(parsed.meta.from!, parsed.meta.room, parsed.steps, parsed.meta)).toBe(true);
    for (let j = 0; j < steps.length; j++) {
      expectSameState(h.stateAt((steps[j] as TreePatch).ts)!.model, naive(base, steps, j));
    }
  });
});
