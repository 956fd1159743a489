import { describe, expect, it } from 'vitest';

import { describeChange, diffTrees } from './diff';
import { subtreeToJson } from './exportJson';
import { ancestorsOf, defaultExpanded, flattenTree } from './flatten';
import { refreshFromFrame, treeFromFrame } from './frame';
import { TreeHistory } from './history';
import { cloneModel, subtreeRootOf } from './model';
import { applyPatch, applyPatchUndoable, computePatch, undoPatch } from './patch';
import { searchTree } from './search';
import { bigDocument, model, node, treeFrame } from './testing';
import { mergeUpdates, touches } from './updates';

const base = () =>
  model([
    node('/doc', 'Map', { children: 2 }),
    node('/doc/title', 'Text', { value: 'Hello', valueType: 'string', size: 5 }),
    node('/doc/items', 'Array', { children: 2 }),
    node('/doc/items/0', 'value', { value: '1', valueType: 'number' }),
    node('/doc/items/1', 'value', { value: '{"a":true}', valueType: 'object' }),
    node('/notes', 'Text', { value: 'n', valueType: 'string' }),
  ]);

describe('frames', () => {
  it('reads a tree frame by contract field names, keeps pre-order and meta', () => {
    const m = treeFromFrame(treeFrame([...base().nodes.values()], { seq: 9, ts: 1234 }));
    expect(m).not.toBeNull();
    expect([...m!.nodes.keys()]).toEqual([...base().nodes.keys()]);
    expect(m!.childrenOf.get('/doc')).toEqual(['/doc/title', '/doc/items']);
    expect(m!.meta).toMatchObject({ room: 'acme/doc', pod: 'pod-a', ts: 1234, seq: 9, scope: 'content' });
  });

  it('refreshes in place when the structure is unchanged and reports only changed paths', () => {
    const nodes = [...base().nodes.values()];
    const m = treeFromFrame(treeFrame(nodes))!;
    const v = m.version;
    const next = nodes.map((n) => (n.path === '/doc/title' ? { ...n, value: 'Hello!', size: 6 } : n));
    expect(refreshFromFrame(m, treeFrame(next))).toEqual(['/doc/title']);
    expect(m.nodes.get('/doc/title')?.value).toBe('Hello!');
    expect(m.version).toBe(v + 1);
    // Structure changed → null (caller rebuilds).
    expect(refreshFromFrame(m, treeFrame(next.slice(0, 3)))).toBeNull();
    // Another structure with the same node count: null, and `m` keeps none of the new rows.
    const other = next.map((n) =>
      n.path === '/doc/title' ? { ...n, value: 'other' } : n.path === '/notes' ? node('/memo', 'Text') : n
    );
    expect(refreshFromFrame(m, treeFrame(other))).toBeNull();
    expect(m.nodes.get('/doc/title')?.value).toBe('Hello!');
    expect(m.version).toBe(v + 1);
  });

  it('a row whose parent is not in the frame is a root (a subtree frame); paths stay absolute', () => {
    const m = treeFromFrame(treeFrame([node('/a', 'Map'), node('/x/y', 'Text')]))!;
    expect([...m.nodes.keys()]).toEqual(['/a', '/x/y']);
    expect(m.childrenOf.get('')).toEqual(['/a', '/x/y']);
    expect(m.nodes.get('/x/y')?.parent).toBe('/x');
  });
});

describe('patches', () => {
  it('computePatch + applyPatch turn one state into the other (adds, changes, subtree removal)', () => {
    const a = base();
    const b = cloneModel(a);
    b.nodes.set('/doc/title', { ...a.nodes.get('/doc/title')!, value: 'Bye' });
    // remove the items array (and its children), add a new key with a child
    applyPatch(b, { ts: 2000, added: [], changed: [], removed: ['/doc/items'] });
    applyPatch(b, {
      ts: 2000,
      added: [node('/doc/meta', 'Map'), node('/doc/meta/k', 'value', { value: '"v"' })],
      changed: [],
      removed: [],
    });
    expect(b.nodes.has('/doc/items/0')).toBe(false);
    expect(b.childrenOf.get('/doc')).toEqual(['/doc/title', '/doc/meta']);
    const p = computePatch(a, b);
    expect(p.removed).toEqual(['/doc/items']);
    expect(p.added.map((n) => n.path)).toEqual(['/doc/meta', '/doc/meta/k']);
    expect(p.changed.map((n) => n.path)).toEqual(['/doc/title']);
    const c = applyPatch(cloneModel(a), p);
    expect([...c.nodes.keys()].sort()).toEqual([...b.nodes.keys()].sort());
    expect(c.nodes.get('/doc/title')?.value).toBe('Bye');
    expect(c.meta.ts).toBe(2000);
  });

  it('keeps array children in index order after inserts; an addition without its parent is a root', () => {
    const m = base();
    applyPatch(m, {
      ts: 1,
      added: [node('/doc/items/10', 'value'), node('/doc/items/2', 'value'), node('/nope/x', 'value')],
      changed: [],
      removed: [],
    });
    expect(m.childrenOf.get('/doc/items')).toEqual([
      '/doc/items/0',
      '/doc/items/1',
      '/doc/items/2',
      '/doc/items/10',
    ]);
    expect(m.childrenOf.get('')).toEqual(['/doc', '/notes', '/nope/x']);
    // Its parent arriving later takes it in.
    applyPatch(m, { ts: 2, added: [node('/nope', 'Map')], changed: [], removed: [] });
    expect(m.childrenOf.get('')).toEqual(['/doc', '/notes', '/nope']);
    expect(m.childrenOf.get('/nope')).toEqual(['/nope/x']);
  });
});

describe('diff', () => {
  it('classifies added, removed (whole subtree) and changed nodes', () => {
    const a = base();
    const b = cloneModel(a);
    applyPatch(b, {
      ts: 5,
      added: [node('/extra', 'Map')],
      changed: [{ ...a.nodes.get('/notes')!, value: 'changed' }],
      removed: ['/doc/items'],
    });
    const d = diffTrees(a, b);
    expect(d).toMatchObject({ added: 1, removed: 3, changed: 1 });
    expect(d.kinds.get('/extra')).toBe('added');
    expect(d.kinds.get('/doc/items/1')).toBe('removed');
    expect(d.kinds.get('/notes')).toBe('changed');
    expect(d.kinds.has('/doc/title')).toBe(false);
    expect(diffTrees(a, a).kinds.size).toBe(0);
    expect(d.removedNodes.map((n) => n.path)).toEqual(['/doc/items', '/doc/items/0', '/doc/items/1']);
    expect(d.addedNodes.map((n) => n.path)).toEqual(['/extra']);
    expect(d.changedNodes.map((n) => n.value)).toEqual(['changed']);
  });

  it('describes a change field by field (strings quoted and shortened, times formatted)', () => {
    const a = node('/t', 'Text', { value: 'Hello', size: 5, lastClient: 1, lastClock: 3, lastTime: 1000 });
    const b = { ...a, value: 'x'.repeat(50), size: 50, lastClock: 9, lastTime: 2000 };
    expect(describeChange(a, b, (t) => `@${t}`)).toEqual([
      `value "Hello" → "${'x'.repeat(40)}…"`,
      'size 5 → 50',
      'last clock 3 → 9',
      'last change @1000 → @2000',
    ]);
    expect(describeChange(a, { ...a, value: '' })).toEqual(['value "Hello" → —']);
    expect(describeChange(a, undefined)).toEqual([]);
  });
});

describe('search and flatten', () => {
  it('matches path, key and value case-insensitively and keeps ancestors visible', () => {
    const m = base();
    const r = searchTree(m, 'HELLO');
    expect(r.ordered).toEqual(['/doc/title']);
    expect([...r.visible].sort()).toEqual(['/doc', '/doc/title']);
    expect(searchTree(m, '/doc/items').ordered).toEqual(['/doc/items', '/doc/items/0', '/doc/items/1']);
    expect(searchTree(m, '   ').matches.size).toBe(0);
    expect(flattenTree(m, new Set(), r.visible).paths).toEqual(['/doc', '/doc/title']);
  });

  it('flattens only expanded subtrees, with depths', () => {
    const m = base();
    expect(flattenTree(m, new Set()).paths).toEqual(['/doc', '/notes']);
    const f = flattenTree(m, new Set(['/doc', '/doc/items']));
    expect(f.paths).toEqual(['/doc', '/doc/title', '/doc/items', '/doc/items/0', '/doc/items/1', '/notes']);
    expect([...f.depths]).toEqual([0, 1, 1, 2, 2, 0]);
    expect([...defaultExpanded(m, 1)]).toEqual(['/doc']);
  });

  it('flattens a 100,000-node document fully expanded', () => {
    const m = model(bigDocument(100_000));
    expect(m.nodes.size).toBeGreaterThan(99_000);
    const all = new Set(m.childrenOf.keys());
    expect(flattenTree(m, all).paths.length).toBe(m.nodes.size);
  });
});

describe('export', () => {
  it('exports a subtree as JSON (maps, arrays, text, parsed values)', () => {
    const m = base();
    expect(subtreeToJson(m, '/doc')).toEqual({ title: 'Hello', items: [1, { a: true }] });
    expect(subtreeToJson(m, '')).toEqual({ doc: { title: 'Hello', items: [1, { a: true }] }, notes: 'n' });
    const meta = model([node('/t', 'Text', { size: 4 })]);
    expect(subtreeToJson(meta, '/t')).toEqual({ $type: 'Text', $size: 4 });
  });
});

describe('time travel', () => {
  it('rebuilds the document at any instant from live states and keyframes', () => {
    const h = new TreeHistory();
    const live = base();
    live.meta.ts = 1000;
    h.pushLive(live);
    const s1 = cloneModel(live);
    applyPatch(s1, {
      ts: 2000,
      added: [],
      changed: [{ ...live.nodes.get('/notes')!, value: 'two' }],
      removed: [],
    });
    expect(h.pushLive(s1)?.changed.map((n) => n.path)).toEqual(['/notes']);
    const s2 = cloneModel(s1);
    applyPatch(s2, { ts: 3000, added: [], changed: [], removed: ['/doc'] });
    h.pushLive(s2);
    expect(h.stateAt(1500)?.model.nodes.get('/notes')?.value).toBe('n');
    expect(h.stateAt(2500)?.model.nodes.get('/notes')?.value).toBe('two');
    expect(h.stateAt(2500)?.model.nodes.has('/doc')).toBe(true);
    expect(h.stateAt(9999)?.model.nodes.has('/doc')).toBe(false);
    expect(h.stateAt(500)).toMatchObject({ before: true, ts: 1000 });
    // A keyframe (historyTree) at 2200 wins between 2200 and the next live state.
    const k = model([node('/from-pod', 'Map')], 2200);
    h.addKeyframe(k);
    expect(h.stateAt(2600)?.source).toBe('keyframe');
    expect(h.stateAt(3100)?.source).toBe('live');
    expect(h.instants()).toEqual([1000, 2000, 2200, 3000]);
    expect(h.stateAt(0)).toMatchObject({ before: true, source: 'live', ts: 1000 });
  });

  it('keeps past states when the live model is refreshed in place (no copy until the first change)', () => {
    const h = new TreeHistory();
    const nodes = [...base().nodes.values()];
    const live = treeFromFrame(treeFrame(nodes, { ts: 1000 }))!;
    h.pushLive(live);
    h.beforeMutate(live);
    const next = nodes.map((n) => (n.path === '/notes' ? { ...n, value: 'later' } : n));
    const changed = refreshFromFrame(live, treeFrame(next, { ts: 2000 }))!;
    h.pushKnownPatch(live, {
      ts: 2000,
      added: [],
      removed: [],
      changed: changed.map((p) => live.nodes.get(p)!),
    });
    expect(h.stateAt(1500)?.model.nodes.get('/notes')?.value).toBe('n');
    expect(h.stateAt(2500)?.model.nodes.get('/notes')?.value).toBe('later');
  });

  it('bounds the live chain by folding the oldest patches into the base', () => {
    const h = new TreeHistory({ maxLiveSteps: 3 });
    let m = model([node('/n', 'value', { value: '0' })], 0);
    h.pushLive(m);
    for (let i = 1; i <= 6; i++) {
      m = cloneModel(m);
      applyPatch(m, {
        ts: i * 10,
        added: [],
        changed: [{ ...m.nodes.get('/n')!, value: String(i) }],
        removed: [],
      });
      h.pushLive(m);
    }
    expect(h.liveSteps).toBe(3);
    expect(h.stateAt(35)?.model.nodes.get('/n')?.value).toBe('3');
    expect(h.stateAt(5)).toMatchObject({ before: true });
    expect(h.stateAt(5)?.model.nodes.get('/n')?.value).toBe('3');
  });
});

describe('updates', () => {
  it('merges by id in time order and relates paths', () => {
    const u = (id: string, ts: number) => ({
      id,
      ts,
      seq: null,
      clientId: 1,
      user: '',
      origin: 'client',
      bytes: 1,
      inserted: 1,
      deleted: 0,
      paths: ['/doc/title'],
      body: '',
      formatted: '',
    });
    expect(
      mergeUpdates([
        [u('b', 2), u('a', 1)],
        [u('b', 2), u('c', 3)],
      ]).map((x) => x.id)
    ).toEqual(['a', 'b', 'c']);
    expect(touches('/doc/title', ['/doc/title'])).toBe('exact');
    expect(touches('/doc', ['/doc/title'])).toBe('inside');
    expect(touches('/notes', ['/doc/title'])).toBeNull();
  });
});

describe('subtree frames (rootPath / maxDepth)', () => {
  // The datasource's `rootPath: /root/items/3` answer: the frame starts at a node whose parent is absent.
  const sub = (title = 'three') => [
    node('/root/items/3', 'Map', { children: 2 }),
    node('/root/items/3/title', 'Text', { value: title, valueType: 'string' }),
    node('/root/items/3/tags', 'Array', { children: 2 }),
    node('/root/items/3/tags/0', 'value', { value: 'a', valueType: 'string' }),
    node('/root/items/3/tags/1', 'value', { value: 'b', valueType: 'string' }),
  ];
  const frame = (nodes: ReturnType<typeof sub>, ts: number) =>
    treeFrame(nodes, { ts, rootPath: '/root/items/3' });

  it('reads the subtree root as a root: tree rows, depths, search, ancestors, export, header path', () => {
    const m = treeFromFrame(frame(sub(), 1000))!;
    expect(m.nodes.size).toBe(5);
    expect(m.meta.rootPath).toBe('/root/items/3');
    expect(subtreeRootOf(m)).toBe('/root/items/3');
    // Without meta.rootPath, the single detached root says it.
    expect(subtreeRootOf(treeFromFrame(treeFrame(sub()))!)).toBe('/root/items/3');
    expect(subtreeRootOf(base())).toBe('');
    const f = flattenTree(m, defaultExpanded(m, 5));
    expect(f.paths).toEqual(sub().map((n) => n.path));
    expect([...f.depths]).toEqual([0, 1, 1, 2, 2]);
    expect(flattenTree(m, new Set()).paths).toEqual(['/root/items/3']);
    const r = searchTree(m, 'tags/1');
    expect(r.ordered).toEqual(['/root/items/3/tags/1']);
    expect([...r.visible].sort()).toEqual(['/root/items/3', '/root/items/3/tags', '/root/items/3/tags/1']);
    expect(flattenTree(m, new Set(), r.visible).paths).toEqual([
      '/root/items/3',
      '/root/items/3/tags',
      '/root/items/3/tags/1',
    ]);
    expect(ancestorsOf(m, '/root/items/3/tags/0')).toEqual(['/root/items/3/tags', '/root/items/3']);
    expect(ancestorsOf(m, '/root/items/3')).toEqual([]);
    expect(subtreeToJson(m, '')).toEqual({ '/root/items/3': { title: 'three', tags: ['a', 'b'] } });
    expect(subtreeToJson(m, '/root/items/3/tags')).toEqual(['a', 'b']);
  });

  it('patches, undo and diffs work on a subtree (its root can be removed and added back)', () => {
    const a = treeFromFrame(frame(sub(), 1000))!;
    const b = treeFromFrame(frame(sub('THREE').slice(0, 3), 2000))!;
    const p = computePatch(a, b);
    expect(p.removed).toEqual(['/root/items/3/tags/0', '/root/items/3/tags/1']);
    expect(p.changed.map((n) => n.path)).toEqual(['/root/items/3/title']);
    const c = applyPatch(cloneModel(a), p);
    expect([...c.nodes.keys()]).toEqual([...b.nodes.keys()]);
    const d = diffTrees(a, b);
    expect(d).toMatchObject({ added: 0, removed: 2, changed: 1 });
    // Removing the subtree's root empties the model; adding it back makes it a root again.
    const gone = applyPatch(cloneModel(a), { ts: 3000, added: [], changed: [], removed: ['/root/items/3'] });
    expect(gone.nodes.size).toBe(0);
    expect(gone.childrenOf.size).toBe(0);
    const back = applyPatch(gone, computePatch(gone, a));
    expect(flattenTree(back, new Set(back.childrenOf.keys())).paths).toEqual(sub().map((n) => n.path));
    // Undo restores the lists, also when a patch moves a root under a node it adds.
    const u = cloneModel(a);
    const undo = applyPatchUndoable(u, {
      ts: 4000,
      added: [node('/root/items', 'Array', { children: 1 })],
      changed: [],
      removed: [],
    });
    expect(u.childrenOf.get('')).toEqual(['/root/items']);
    expect(u.childrenOf.get('/root/items')).toEqual(['/root/items/3']);
    undoPatch(u, undo);
    expect(u.childrenOf.get('')).toEqual(['/root/items/3']);
    expect(u.childrenOf.has('/root/items')).toBe(false);
    expect(u.nodes.has('/root/items')).toBe(false);
  });

  it('time travel over live subtree frames (in-place refresh and structural changes)', () => {
    const h = new TreeHistory();
    const live = treeFromFrame(frame(sub(), 1000))!;
    h.pushLive(live);
    h.beforeMutate(live);
    const changed = refreshFromFrame(live, frame(sub('four'), 2000))!;
    expect(changed).toEqual(['/root/items/3/title']);
    h.pushKnownPatch(live, {
      ts: 2000,
      added: [],
      removed: [],
      changed: changed.map((p) => live.nodes.get(p)!),
    });
    const next = treeFromFrame(frame([...sub('four'), node('/root/items/3/tags/2', 'value')], 3000))!;
    h.pushLive(next);
    expect(h.stateAt(1500)?.model.nodes.get('/root/items/3/title')?.value).toBe('three');
    expect(h.stateAt(2500)?.model.nodes.get('/root/items/3/title')?.value).toBe('four');
    const at3 = h.stateAt(3500, { view: true })!.model;
    expect(at3.childrenOf.get('/root/items/3/tags')).toHaveLength(3);
    expect(at3.childrenOf.get('')).toEqual(['/root/items/3']);
    // Back again on the timeline's cursor.
    expect(h.stateAt(1500, { view: true })!.model.childrenOf.get('/root/items/3/tags')).toHaveLength(2);
  });

  it('bad parent links (a loop) never hang the model', () => {
    const m = treeFromFrame(treeFrame([{ ...node('/a', 'Map'), parent: '/a/b' }, node('/a/b', 'Map')]))!;
    expect(m.childrenOf.get('')).toEqual(['/a']);
    expect(flattenTree(m, new Set(['/a'])).paths).toEqual(['/a', '/a/b']);
    expect(ancestorsOf(m, '/a/b')).toEqual(['/a']);
    applyPatch(m, { ts: 2, added: [node('/c', 'Map')], changed: [], removed: ['/a'] });
    expect([...m.nodes.keys()]).toEqual(['/c']);
  });
});
