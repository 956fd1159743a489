import { describe, expect, it } from 'vitest';
import { dateTime, type TimeRange } from '@grafana/data';

import { bindingFrame, caret, updatesFrame } from '../test/bindingFrames';
import { TEST_STORE_OPTS } from '../test/fixtures';
import { describeDocument } from './describe';
import { ALL_TIME, blockOfPath, editHeatOf, heatWindowOf, MAX_UPDATE_ROWS } from './editHeat';
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
    // A tree document is read by blocks.
    expect(describeDocument(room!, 1000, TEST_STORE_OPTS.stale)).toContain(
      'Most edits: block 5 (1 update located).'
    );
  });
});

/** A CodeMirror user with a resolved caret on 0-based line `line` of a `lines`-line Y.Text. */
const codeCaret = (clientId: number, line: number, lines = 20) =>
  caret(clientId, line, { root: 'codemirror', nodeName: '', line: line + 1, column: 0 }, lines);

describe('edit heat: Y.Text rooms (CodeMirror, Monaco, Quill) by the lines updates touched', () => {
  it('counts each update once per line its `lines` name under the document’s root', () => {
    const f = updatesFrame('acme/code', [
      { id: 'u1', paths: ['/codemirror'], lines: [{ path: '/codemirror', from: 12, to: 12 }] },
      {
        id: 'u2',
        paths: ['/codemirror'],
        lines: [
          { path: '/codemirror', from: 11, to: 13 },
          { path: '/codemirror', from: 12, to: 12 },
        ],
      },
      { id: 'u3', paths: ['/quill'], lines: [{ path: '/quill', from: 2, to: 2 }] },
      { id: 'u4', paths: ['/codemirror'], lines: [{ path: '/codemirror', from: 18, to: 1e9 }] },
      { id: 'u5', paths: ['/codemirror'] }, // an older pod: no lines, no block
    ]);
    const h = editHeatOf([f], 'acme/code', 'codemirror', 20);
    const counts = Array.from(h.counts);
    expect(counts[11]).toBe(1);
    expect(counts[12]).toBe(2);
    expect(counts[13]).toBe(1);
    expect([counts[18], counts[19]]).toEqual([1, 1]);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(6);
    expect([h.max, h.total]).toEqual([2, 3]);
  });

  it('ignores bad lines cells', () => {
    const f = updatesFrame('r', [
      { id: 'a', paths: ['/t'], lines: 'not json' },
      {
        id: 'b',
        paths: ['/t'],
        lines: [
          { path: '/t', from: 3, to: 1 },
          { path: '/t', from: -1, to: 2 },
        ],
      },
      {
        id: 'c',
        paths: ['/t'],
        lines: [{ path: '/t', from: '1', to: 2 }, null, 7, { path: '/t', from: 1.5, to: 2 }],
      },
    ]);
    expect(editHeatOf([f], 'r', 't', 10)).toMatchObject({ total: 0 });
  });

  it('the store joins a CodeMirror room’s update lines with the lines its carets are on', () => {
    const store = new PresenceStore(TEST_STORE_OPTS);
    store.ingest(
      [
        bindingFrame('acme/code', [codeCaret(1, 4)], 1000),
        updatesFrame('acme/code', [
          { id: 'u1', paths: ['/codemirror'], lines: [{ path: '/codemirror', from: 7, to: 7 }] },
        ]),
      ],
      1000
    );
    const room = store.rooms.get('acme/code');
    expect(room?.docRoot).toBe('codemirror');
    expect(room?.editHeat.counts[7]).toBe(1);
    expect(room?.editHeat.total).toBe(1);
    // Its text alternative reads lines, as the user rows do (line 8 = 0-based line 7).
    const words = describeDocument(room!, 1000, TEST_STORE_OPTS.stale);
    expect(words).toContain('(20 lines)');
    expect(words).toContain(' in line 5');
    expect(words).toContain('Most activity: line 5.');
    expect(words).toContain('Most edits: line 8 (1 update located).');
  });
});

describe('edit heat over the dashboard’s time range', () => {
  const rows = [
    { id: 'old', paths: ['/prosemirror/1/0'], ts: 1_000 },
    { id: 'in', paths: ['/prosemirror/2/0'], ts: 5_000 },
    { id: 'late', paths: ['/prosemirror/3/0'], ts: 9_000 },
  ];

  it('counts only updates whose time lies in the window (bounds inclusive)', () => {
    const f = updatesFrame('acme/doc', rows, 'history');
    expect(
      Array.from(editHeatOf([f], 'acme/doc', 'prosemirror', 4, { from: 2_000, to: 8_000 }).counts)
    ).toEqual([0, 0, 1, 0]);
    expect(editHeatOf([f], 'acme/doc', 'prosemirror', 4, { from: 5_000, to: 9_000 }).total).toBe(2);
    expect(editHeatOf([f], 'acme/doc', 'prosemirror', 4, ALL_TIME).total).toBe(3);
    expect(editHeatOf([f], 'acme/doc', 'prosemirror', 4, { from: 10_000, to: Infinity }).total).toBe(0);
  });

  it('the window of a relative range slides with now and has no end when it reaches the present', () => {
    const range = (from: string, to: string): TimeRange => ({
      from: dateTime(0),
      to: dateTime(1),
      raw: { from, to },
    });
    const now = Date.now();
    const last5 = heatWindowOf(range('now-5m', 'now'), now);
    expect(last5.to).toBe(Infinity);
    expect(Math.abs(last5.from - (now - 300_000))).toBeLessThan(60_000);
    const before = heatWindowOf(range('now-2h', 'now-1h'), now);
    expect(Math.abs(before.to - (now - 3_600_000))).toBeLessThan(60_000);
    const fixed = heatWindowOf(
      { from: dateTime(1_000), to: dateTime(8_000), raw: { from: dateTime(1_000), to: dateTime(8_000) } },
      now
    );
    expect(fixed).toEqual({ from: 1_000, to: 8_000 });
    expect(heatWindowOf(undefined, now)).toEqual(ALL_TIME);
  });

  it('the store’s edit heat honours the window it is given', () => {
    const store = new PresenceStore(TEST_STORE_OPTS);
    store.ingest(
      [bindingFrame('acme/doc', [caret(1, 0, {}, 4)], 1000), updatesFrame('acme/doc', rows)],
      10_000,
      { from: 4_000, to: Infinity }
    );
    expect(Array.from(store.rooms.get('acme/doc')?.editHeat.counts ?? [])).toEqual([0, 0, 1, 1]);
  });
});
