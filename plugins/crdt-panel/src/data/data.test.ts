import { describe, expect, it } from 'vitest';

import { diffTrees } from './diff';
import { subtreeToJson } from './exportJson';
import { defaultExpanded, flattenTree } from './flatten';
import { refreshFromFrame, treeFromFrame } from './frame';
import { TreeHistory } from './history';
import { cloneModel } from './model';
import { applyPatch, computePatch } from './patch';
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

  it('drops orphans and survives missing columns', () => {
    const m = treeFromFrame(treeFrame([node('/a', 'Map'), node('/x/y', 'Text')]))!;
    expect([...m.nodes.keys()]).toEqual(['/a']);
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

  it('keeps array children in index order after inserts and ignores orphan additions', () => {
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
    expect(m.nodes.has('/nope/x')).toBe(false);
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
