import { describe, expect, it } from 'vitest';

import { BlockHeat, blocksFromTree, layoutBlocks, pickView, rowOf } from './docLayout';
import { treeFrame } from '../test/bindingFrames';

describe('document layout', () => {
  it('one row per block; heights follow sizes on a log scale and fill the height', () => {
    const rows = layoutBlocks(
      3,
      [
        { name: 'heading', size: 10 },
        { name: 'paragraph', size: 1000 },
        { name: 'paragraph', size: 0 },
      ],
      300
    );
    expect(rows.band).toBe(1);
    expect(rows.names).toEqual(['heading', 'paragraph', 'paragraph']);
    const h = [...rows.height];
    expect(h.reduce((a, b) => a + b, 0)).toBeCloseTo(300);
    expect(h[1]).toBeGreaterThan(h[0] as number);
    expect(h[0]).toBeGreaterThan(h[2] as number);
    // The long paragraph does not squeeze the others out (log scale): less than 2× the empty one... ×3 at most.
    expect((h[1] as number) / (h[2] as number)).toBeLessThan(4);
    expect(rows.top[2]).toBeCloseTo((h[0] as number) + (h[1] as number));
  });

  it('long documents are grouped in bands of blocks with at least 3 px per row', () => {
    const rows = layoutBlocks(2000, [], 300);
    expect(rows.band).toBe(20);
    expect(rows.top.length).toBe(100);
    expect(rowOf(rows, 0)).toBe(0);
    expect(rowOf(rows, 1999)).toBe(99);
    expect(rowOf(rows, 2000)).toBeNaN();
    expect(layoutBlocks(0, [], 300).top.length).toBe(0);
  });

  it('reads the root’s top-level blocks from a tree frame of the same room only', () => {
    const frames = [
      treeFrame('acme/doc', 'prosemirror', [
        { name: 'heading', size: 5 },
        { name: 'bulletList', size: 3 },
      ]),
    ];
    expect(blocksFromTree(frames, 'acme/doc', 'prosemirror')).toEqual([
      { name: 'heading', size: 5 },
      { name: 'bulletList', size: 3 },
    ]);
    expect(blocksFromTree(frames, 'acme/other', 'prosemirror')).toEqual([]);
    expect(blocksFromTree(frames, 'acme/doc', 'default')).toEqual([]);
    expect(blocksFromTree([], 'acme/doc', 'prosemirror')).toEqual([]);
  });

  it('block heat decays with its half-life, resizes keeping what fits, ignores bad blocks', () => {
    const h = new BlockHeat(1000);
    h.resize(4);
    h.decay(0);
    h.add(1, 2);
    h.add(3, 1);
    h.add(4, 1);
    h.add(-1, 1);
    h.add(1.5, 1);
    expect([...h.cells]).toEqual([0, 2, 0, 1]);
    h.decay(1000);
    expect(h.cells[1]).toBeCloseTo(1);
    expect(h.max).toBeCloseTo(1);
    h.resize(2);
    expect(h.cells.length).toBe(2);
    expect(h.total).toBeCloseTo(1);
    const rows = layoutBlocks(2, [], 100);
    expect(h.rowHeat(rows, 1)).toBeCloseTo(1);
  });

  it('picks the view from the data; the option overrides it', () => {
    const doc = { locState: 'resolved', x: NaN };
    const unknown = { locState: 'unknown', x: NaN };
    const pointer = { locState: '', x: 0.3 };
    expect(pickView([doc, unknown, pointer], 'auto')).toBe('document');
    expect(pickView([pointer, pointer, doc], 'auto')).toBe('canvas');
    expect(pickView([], 'auto')).toBe('canvas');
    expect(pickView([pointer], 'document')).toBe('document');
    expect(pickView([doc], 'canvas')).toBe('canvas');
  });
});
