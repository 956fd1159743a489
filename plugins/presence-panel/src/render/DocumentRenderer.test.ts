import { describe, expect, it } from 'vitest';

import { PresenceStore } from '../data/store';
import { bindingFrame, caret, treeFrame, updatesFrame } from '../test/bindingFrames';
import { fakeContext } from '../test/fakeCanvas';
import { TEST_STORE_OPTS, TEST_STYLE } from '../test/fixtures';
import { caretLabel, DocumentRenderer } from './DocumentRenderer';

function canvasWith(ctx: CanvasRenderingContext2D): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  canvas.getContext = (() => ctx) as unknown as HTMLCanvasElement['getContext'];
  return canvas;
}

const OPTS = { showLabels: true, labelLimit: 150, stale: { updates: 0, seconds: 0 } };

describe('DocumentRenderer', () => {
  it('draws each caret at its block, in its published colour, with stacked labels that never overlap', () => {
    const store = new PresenceStore({ ...TEST_STORE_OPTS, maxUsers: 100 });
    store.ingest(
      [
        bindingFrame(
          'acme/doc',
          [
            caret(1, 0, { nodeName: 'heading', color: '#ff0000' }),
            caret(2, 0, { nodeName: 'heading', color: '#00ff00', selection: 5 }),
            caret(3, 9, { color: '#0000ff', anchorBlock: 7 }),
            { user: 'lost', clientId: 4, binding: 'yjs-cursor', locState: 'unresolved' },
          ],
          1000
        ),
        treeFrame('acme/doc', 'prosemirror', [
          { name: 'heading', size: 10 },
          ...Array.from({ length: 11 }, () => ({ name: 'paragraph', size: 40 })),
        ]),
      ],
      1000
    );
    const room = store.rooms.get('acme/doc')!;
    const fake = fakeContext();
    const r = new DocumentRenderer(canvasWith(fake.ctx));
    r.resize(400, 260, 1);
    r.draw(room, 1000, TEST_STYLE, OPTS);
    expect(r.stats.cursors).toBe(3);
    const labels = fake.texts.filter(([t]) => t.startsWith('u-'));
    expect(labels.map(([t]) => t)).toEqual([
      'u-1 · heading #1',
      'u-2 · heading #1 (5 sel)',
      'u-3 · paragraph #10',
    ]);
    // Same block: the second label is pushed below the first.
    const ys = labels.map(([, , y]) => y);
    expect((ys[1] as number) - (ys[0] as number)).toBeGreaterThanOrEqual(13);
    expect(ys[2]).toBeGreaterThan(ys[1] as number);
    expect(fake.texts.map(([t], k) => `${t}|${fake.textFills[k]}`)).toContain('u-1 · heading #1|#ff0000');
    expect(fake.texts.map(([t], k) => `${t}|${fake.textFills[k]}`)).toContain('u-3 · paragraph #10|#0000ff');
    // Block names from the tree frame are written in the minimap.
    expect(fake.texts.some(([t]) => t === 'heading')).toBe(true);
  });

  it('labels read line and column for a Y.Text, and nothing is drawn for nobody', () => {
    expect(
      caretLabel({ label: 'Ada', nodeName: '', line: 12, column: 4, block: 11, selection: 0 } as Parameters<
        typeof caretLabel
      >[0])
    ).toBe('Ada L12:4');
    const store = new PresenceStore(TEST_STORE_OPTS);
    store.ingest([bindingFrame('r', [], 1)], 1);
    const fake = fakeContext();
    const r = new DocumentRenderer(canvasWith(fake.ctx));
    r.resize(100, 100, 1);
    const room = store.rooms.get('r');
    if (room) r.draw(room, 1, TEST_STYLE, OPTS);
    expect(fake.arcs).toEqual([]);
  });

  it('draws the edit heat on the rows where edits landed, next to the presence heat', () => {
    const store = new PresenceStore({ ...TEST_STORE_OPTS, maxUsers: 100 });
    const frames = [
      bindingFrame('acme/doc', [caret(1, 0)], 1000),
      updatesFrame('acme/doc', [
        { id: 'u1', paths: ['/prosemirror/3/0'] },
        { id: 'u2', paths: ['/prosemirror/3/0', '/prosemirror/9/0'] },
      ]),
    ];
    store.ingest(frames, 1000);
    const fake = fakeContext();
    const r = new DocumentRenderer(canvasWith(fake.ctx));
    r.resize(400, 300, 1);
    const room = store.rooms.get('acme/doc');
    expect(room).toBeDefined();
    const stats = r.draw(room!, 1000, TEST_STYLE, OPTS);
    expect([stats.editCells, stats.editTotal]).toEqual([2, 2]);
    // Without update rows, no edit heat.
    store.ingest([frames[0]!], 1100);
    expect(r.draw(room!, 1100, TEST_STYLE, OPTS).editCells).toBe(0);
  });
});
