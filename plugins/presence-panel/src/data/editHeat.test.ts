import { describe, expect, it } from 'vitest';

import { bindingFrame, caret, updatesFrame } from '../test/bindingFrames';
import { TEST_STORE_OPTS } from '../test/fixtures';
import { blockOfPath, editHeatOf, MAX_UPDATE_ROWS } from './editHeat';
import { PresenceStore } from './store';

describe('edit heat: update paths joined with blocks', () => {
  it('reads the top-level block of a path in the document root, and nothing else', () => {
    expect(blockOfPath('/prosemirror/3/0', 'prosemirror', 12)).toBe(3);
    expect(blockOfPath('/prosemirror/11', 'prosemirror', 12)).toBe(11);
    expect(blockOfPath('/prosemirror/12/0', 'prosemirror', 12)).toBe(-1); // beyond the document
    expect(blockOfPath('/prosemirror', 'prosemirror', 12)).toBe(-1); // the root itself (a Y.Text)
    expect(blockOfPath('/other/3', 'prosemirror', 12)).toBe(-1);
    expect(blockOfPath('/prosemirror/title', 'prosemirror', 12)).toBe(-1);
    expect(blockOfPath('/prosemirror/-1', 'prosemirror', 12)).toBe(-1);
    expect(blockOfPath('/~12:3', 'prosemirror', 12)).toBe(-1);
    expect(blockOfPath('a/3', 'a', 12)).toBe(-1);
    expect(blockOfPath(7, 'a', 12)).toBe(-1);
    // Escaped root names (JSON pointer).
    expect(blockOfPath('/a~1b/2', 'a/b', 12)).toBe(2);
  });

  it('counts each update once per block it touched and once however many frames repeat it', () => {
    const live = updatesFrame('acme/doc', [
      { id: 'u1', paths: ['/prosemirror/2/0', '/prosemirror/2/1'] },
      { id: 'u2', paths: ['/prosemirror/2/0', '/prosemirror/5/0'] },
      { id: 'u3', paths: ['/prosemirror'] },
      { id: 'g', paths: ['/prosemirror/1/0'], origin: 'gap' },
    ]);
    const history = updatesFrame('acme/doc', [{ id: 'u1', paths: ['/prosemirror/2/0'] }], 'history');
    const other = updatesFrame('acme/else', [{ id: 'x', paths: ['/prosemirror/0/0'] }]);
    const h = editHeatOf([live, history, other], 'acme/doc', 'prosemirror', 8);
    expect(Array.from(h.counts)).toEqual([0, 0, 2, 0, 0, 1, 0, 0]);
    expect([h.max, h.total]).toEqual([2, 2]);
    expect(editHeatOf([live], 'acme/doc', '', 8).total).toBe(0);
    expect(editHeatOf([live], 'acme/doc', 'prosemirror', 0).total).toBe(0);
  });

  it('survives bad paths columns and stays bounded', () => {
    const bad = updatesFrame('r', [
      { id: 'a', paths: 'not json' },
      { id: 'b', paths: '{"a":1}' },
      { id: 'c', paths: [null, 3, { p: '/d/1' }] },
    ]);
    expect(editHeatOf([bad], 'r', 'd', 4).total).toBe(0);
    const many = updatesFrame(
      'r',
      Array.from({ length: MAX_UPDATE_ROWS + 50 }, (_, i) => ({ id: `u${i}`, paths: ['/d/0'] }))
    );
    expect(editHeatOf([many], 'r', 'd', 4).total).toBe(MAX_UPDATE_ROWS);
  });

  it('the store keeps the room document’s edit heat next to its presence', () => {
    const store = new PresenceStore(TEST_STORE_OPTS);
    store.ingest(
      [
        bindingFrame('acme/doc', [caret(1, 0)], 1000),
        updatesFrame('acme/doc', [{ id: 'u1', paths: ['/prosemirror/4/0'] }]),
      ],
      1000
    );
    const room = store.rooms.get('acme/doc');
    expect(room?.editHeat.counts[4]).toBe(1);
    expect(room?.editHeat.total).toBe(1);
  });
});
