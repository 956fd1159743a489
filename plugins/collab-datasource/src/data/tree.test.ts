import { describe, expect, it } from 'vitest';
import { FRAME_LIMITS, TREE_FIELDS as F, type TreeNode } from '@collabblocks/protocol';

import {
  buildTreeFrame,
  inSelection,
  levelInSubtree,
  parseMaxDepth,
  parseRootPath,
  TreeState,
  valueText,
} from './tree';
import { treeNode as node } from './tree.testutil';

const opts = { refId: 'T', kind: 'tree' as const, room: 'acme/a', pod: 'p', ts: 1, complete: true };

describe('tree frame', () => {
  it('assembles a chunked snapshot, applies patches and keeps pre-order', () => {
    const t = new TreeState();
    t.applySnapshot({ chunk: 0, last: false, total: 3, ts: 1, nodes: [node('/m', ''), node('/m/b', '/m')] });
    expect(t.complete).toBe(false);
    t.applySnapshot({ chunk: 1, last: true, total: 3, ts: 2, nodes: [node('/t', '', { type: 'Text' })] });
    expect(t.complete).toBe(true);
    t.applyPatch({
      ts: 3,
      seq: 7,
      added: [node('/m/a', '/m'), node('/m/a/x', '/m/a', { type: 'value', value: 'secret' })],
      changed: [node('/t', '', { type: 'Text', size: 5 })],
      removed: ['/m/b'],
    });
    expect(t.ordered().map((n) => n.path)).toEqual(['/m', '/m/a', '/m/a/x', '/t']);
    expect(t.seq).toBe(7);
    const { frame } = buildTreeFrame(t.ordered(), { ...opts, scope: 'content' });
    expect(Object.values(F).every((name) => frame.fields.some((f) => f.name === name))).toBe(true);
    expect(frame.fields.find((f) => f.name === F.parentPath)?.values).toEqual(['', '/m', '/m/a', '']);
    expect(frame.fields.find((f) => f.name === F.value)?.values[2]).toBe('secret');
  });

  it('removing a path removes its subtree; indexed children keep index order', () => {
    const t = new TreeState();
    t.applySnapshot({
      chunk: 0,
      last: true,
      total: 4,
      ts: 1,
      nodes: [
        node('/a', '', { type: 'Array' }),
        node('/a/1', '/a', { index: 1 }),
        node('/a/0', '/a', { index: 0 }),
        node('/a/0/k', '/a/0'),
      ],
    });
    expect(t.ordered().map((n) => n.path)).toEqual(['/a', '/a/0', '/a/0/k', '/a/1']);
    t.applyPatch({ ts: 2, added: [], changed: [], removed: ['/a/0'] });
    expect(t.ordered().map((n) => n.path)).toEqual(['/a', '/a/1']);
  });

  it('never carries values with metadata scope, and caps rows', () => {
    const nodes = Array.from({ length: FRAME_LIMITS.maxRows + 5 }, (_, i) =>
      node(`/r${i}`, '', { type: 'value', value: `typed text ${i}` })
    );
    const { frame, truncated } = buildTreeFrame(nodes, { ...opts, scope: 'metadata' });
    expect(frame.length).toBe(FRAME_LIMITS.maxRows);
    expect(truncated).toBe(5);
    expect(frame.meta?.custom?.truncated).toBe(true);
    expect(frame.fields.find((f) => f.name === F.value)?.values.every((v) => v === '')).toBe(true);
  });

  it('renders values as text', () => {
    expect(valueText('a')).toBe('a');
    expect(valueText({ b: 1 })).toBe('{"b":1}');
    expect(valueText(undefined)).toBe('');
  });

  it('selects a subtree down to a depth, pre-order, paths absolute; reports a missing root', () => {
    const t = new TreeState();
    t.applySnapshot({
      chunk: 0,
      last: true,
      total: 7,
      ts: 1,
      nodes: [
        node('/m', ''),
        node('/m/a', '/m'),
        node('/m/a/x', '/m/a'),
        node('/m/a/x/y', '/m/a/x'),
        node('/m/b', '/m'),
        node('/t', '', { type: 'Text' }),
        node('/t~1s', '', { type: 'Text' }),
      ],
    });
    const paths = (r: { nodes: TreeNode[] }) => r.nodes.map((n) => n.path);
    expect(paths(t.select({ rootPath: '/m' }))).toEqual(['/m', '/m/a', '/m/a/x', '/m/a/x/y', '/m/b']);
    expect(paths(t.select({ rootPath: '/m', maxDepth: 1 }))).toEqual(['/m', '/m/a', '/m/b']);
    expect(paths(t.select({ rootPath: '/m/a', maxDepth: 0 }))).toEqual(['/m/a']);
    expect(paths(t.select({ rootPath: '', maxDepth: 0 }))).toEqual(['/m', '/t', '/t~1s']);
    expect(paths(t.select({ rootPath: '/t~1s' }))).toEqual(['/t~1s']);
    expect(t.select({ rootPath: '/nope' })).toEqual({ nodes: [], rootFound: false });
    // A frame of the subtree records the selection; its first row's parent is outside the frame.
    const sel = { rootPath: '/m/a', maxDepth: 1 };
    const { nodes, rootFound } = t.select(sel);
    const { frame } = buildTreeFrame(nodes, { ...opts, scope: 'metadata', subtree: { ...sel, rootFound } });
    expect(frame.fields.find((f) => f.name === F.path)?.values).toEqual(['/m/a', '/m/a/x']);
    expect(frame.fields.find((f) => f.name === F.parentPath)?.values).toEqual(['/m', '/m/a']);
    expect(frame.fields.find((f) => f.name === F.depth)?.values).toEqual([2, 3]);
    expect(frame.meta?.custom).toMatchObject({ rootPath: '/m/a', maxDepth: 1, rootFound: true, total: 2 });
    const whole = buildTreeFrame(t.ordered(), { ...opts, scope: 'metadata' }).frame;
    expect(whole.meta?.custom).toMatchObject({ rootPath: '', maxDepth: null, rootFound: true, total: 7 });
    // A path created later appears (the live tree fills in).
    t.applyPatch({ ts: 2, added: [node('/n', ''), node('/n/k', '/n')], changed: [], removed: [] });
    expect(paths(t.select({ rootPath: '/n' }))).toEqual(['/n', '/n/k']);
  });

  it('the row cap applies after the selection', () => {
    const t = new TreeState();
    const big = Array.from({ length: FRAME_LIMITS.maxRows + 50 }, (_, i) => node(`/big/k${i}`, '/big'));
    t.applySnapshot({
      chunk: 0,
      last: true,
      total: big.length + 3,
      ts: 1,
      nodes: [node('/big', ''), ...big, node('/small', ''), node('/small/a', '/small')],
    });
    const { nodes } = t.select({ rootPath: '/small' });
    const r = buildTreeFrame(nodes, { ...opts, scope: 'metadata' });
    expect(r.frame.length).toBe(2);
    expect(r.truncated).toBe(0);
    expect(
      buildTreeFrame(t.select({ rootPath: '/big' }).nodes, { ...opts, scope: 'metadata' }).truncated
    ).toBe(51);
  });

  it('validates root paths and depths with clear messages', () => {
    expect(parseRootPath('')).toBe('');
    expect(parseRootPath(' / ')).toBe('');
    expect(parseRootPath('/root/items/3')).toBe('/root/items/3');
    expect(parseRootPath('/a~0b/c~1d')).toBe('/a~0b/c~1d');
    expect(() => parseRootPath('root/items')).toThrow(/root path "root\/items" must start with "\/"/);
    expect(() => parseRootPath('/a~b')).toThrow(/"~" must be written "~0"/);
    expect(() => parseRootPath('/a\u0001')).toThrow(/control characters/);
    expect(() => parseRootPath(`/${'x'.repeat(2000)}`)).toThrow(/longer than 1000/);
    expect(parseMaxDepth(undefined)).toBeUndefined();
    expect(parseMaxDepth('')).toBeUndefined();
    expect(parseMaxDepth(0)).toBe(0);
    expect(parseMaxDepth(' 3 ')).toBe(3);
    expect(() => parseMaxDepth(-1)).toThrow(/max depth must be a whole number from 0 to 1000/);
    expect(() => parseMaxDepth('two')).toThrow(/max depth/);
    expect(() => parseMaxDepth(1.5)).toThrow(/max depth/);
    expect(levelInSubtree('/m/a/x', '/m')).toBe(2);
    expect(levelInSubtree('/m', '')).toBe(0);
    expect(levelInSubtree('/mm', '/m')).toBe(-1);
    expect(inSelection('/m/a', { rootPath: '/m', maxDepth: 0 })).toBe(false);
  });

  it('removing a subtree also removes orphans below it, and they never come back', () => {
    const t = new TreeState();
    t.applySnapshot({ chunk: 0, last: true, total: 1, ts: 1, nodes: [node('/a', '')] });
    // An orphan whose parent /a/b is unknown: kept, not shown.
    t.applyPatch({ ts: 2, added: [node('/a/b/c', '/a/b')], changed: [], removed: [] });
    expect(t.size).toBe(2);
    expect(t.ordered().map((n) => n.path)).toEqual(['/a']);
    t.applyPatch({ ts: 3, added: [], changed: [], removed: ['/a'] });
    expect(t.size).toBe(0);
    t.applyPatch({ ts: 4, added: [node('/a', ''), node('/a/b', '/a')], changed: [], removed: [] });
    expect(t.ordered().map((n) => n.path)).toEqual(['/a', '/a/b']);
    // Removing a path that does not exist is a no-op; a re-added node keeps one entry.
    t.applyPatch({ ts: 5, added: [], changed: [node('/a/b', '/a', { size: 2 })], removed: ['/zzz'] });
    expect(t.ordered().map((n) => n.path)).toEqual(['/a', '/a/b']);
    expect(t.ordered()[1]?.size).toBe(2);
  });

  it('removal costs the removed subtree, not the whole tree', () => {
    const t = new TreeState();
    const n = 100_000;
    const nodes = [node('/big', '', { type: 'Array' })];
    for (let i = 0; i < n; i++) nodes.push(node(`/big/${i}`, '/big', { index: i }));
    t.applySnapshot({ chunk: 0, last: true, total: nodes.length, ts: 1, nodes });
    // 2,000 patches removing one leaf each: a scan of every key per removal would be 2e8 checks. Counted
    // as iterations over a large Map (a wall-clock bound flakes on a shared machine): none at all.
    const scans = largeMapScans(() => {
      for (let i = 0; i < 2000; i++)
        t.applyPatch({ ts: 2 + i, added: [], changed: [], removed: [`/big/${i}`] });
    });
    expect(t.size).toBe(n + 1 - 2000);
    expect(scans).toBe(0);
  });
});

/** How many times `run` starts iterating a Map of at least `minSize` entries (any scan of one does). */
function largeMapScans(run: () => void, minSize = 1000): number {
  const proto = Map.prototype as unknown as Record<PropertyKey, (...args: unknown[]) => unknown>;
  const names: PropertyKey[] = ['keys', 'values', 'entries', 'forEach', Symbol.iterator];
  const saved = names.map((name) => proto[name] as (...args: unknown[]) => unknown);
  let scans = 0;
  names.forEach((name, i) => {
    const original = saved[i] as (...args: unknown[]) => unknown;
    proto[name] = function (this: Map<unknown, unknown>, ...args: unknown[]) {
      if (this.size >= minSize) scans++;
      return original.apply(this, args);
    };
  });
  try {
    run();
  } finally {
    names.forEach((name, i) => (proto[name] = saved[i] as (...args: unknown[]) => unknown));
  }
  return scans;
}

describe('tree frame: documents as editor bindings write them (revision 2)', () => {
  const nodes: TreeNode[] = [
    node('/prosemirror', '', { type: 'XmlFragment', children: 1, binding: 'prosemirror' }),
    node('/prosemirror/0', '/prosemirror', {
      type: 'XmlElement',
      nodeName: 'heading',
      attrs: { level: 2, id: 'secret-anchor', open: true },
      attrKeys: ['id', 'level', 'open'],
    }),
    node('/prosemirror/0/0', '/prosemirror/0', {
      type: 'XmlText',
      embeds: 1,
      runs: [
        { length: 5, marks: ['bold'], text: 'Hello' },
        { length: 6, marks: ['link'], text: ' world', values: { link: { href: 'https://secret.example' } } },
        { length: 1, embed: 'image' },
      ],
    }),
    node('/sub', '', { type: 'Doc', guid: 'g-1' }),
  ];
  const col = (frame: ReturnType<typeof buildTreeFrame>['frame'], name: string) =>
    frame.fields.find((f) => f.name === name)?.values as unknown[];

  it('metadata scope: node names, numeric attributes and run structure, never text, hrefs or string attributes', () => {
    const { frame } = buildTreeFrame(nodes, { ...opts, scope: 'metadata' });
    expect(col(frame, F.binding)).toEqual(['prosemirror', '', '', '']);
    expect(col(frame, F.nodeName)[1]).toBe('heading');
    expect(JSON.parse(col(frame, F.attrs)[1] as string)).toEqual({ level: 2, open: true });
    expect(JSON.parse(col(frame, F.runs)[2] as string)).toEqual([
      { length: 5, marks: ['bold'] },
      { length: 6, marks: ['link'] },
      { length: 1, embed: 'image' },
    ]);
    expect(col(frame, F.embeds)).toEqual([null, null, 1, null]);
    expect(col(frame, F.guid)[3]).toBe('g-1');
    expect(JSON.stringify(frame.fields.map((f) => f.values))).not.toMatch(/secret|Hello|world/);
  });

  it('content scope: string attributes, run text and mark values', () => {
    const { frame } = buildTreeFrame(nodes, { ...opts, scope: 'content' });
    expect(JSON.parse(col(frame, F.attrs)[1] as string)).toEqual({
      level: 2,
      id: 'secret-anchor',
      open: true,
    });
    expect(JSON.parse(col(frame, F.runs)[2] as string)[1]).toEqual({
      length: 6,
      marks: ['link'],
      text: ' world',
      values: { link: { href: 'https://secret.example' } },
    });
  });
});
