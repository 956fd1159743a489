import { describe, expect, it } from 'vitest';
import { FRAME_LIMITS, TREE_FIELDS as F, type TreeNode } from '@collabblocks/protocol';

import { buildTreeFrame, TreeState, valueText } from './tree';

const node = (path: string, parent: string, extra: Partial<TreeNode> = {}): TreeNode => ({
  path,
  parent,
  depth: path.split('/').length - 1,
  key: path.split('/').pop() ?? '',
  type: 'Map',
  size: 0,
  itemCount: 0,
  deleted: 0,
  children: 0,
  ...extra,
});

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
});
