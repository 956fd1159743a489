import { describe, expect, it } from 'vitest';
import { DataFrameType, FieldType } from '@grafana/data';
import {
  COLLAB_FRAME_KIND_KEY,
  FRAME_LIMITS,
  type PresenceUser,
  type UpdateSummary,
} from '@collabblocks/protocol';

import {
  blockOfPath,
  buildDocHeatmapFrame,
  DocHeatmap,
  docHeatmapBucketMs,
  MAX_LINES_PER_UPDATE,
} from './docHeatmap';
import { readLikeGrafana } from './heatmap.testutil';

const at = (clientId: number, block: number, blocks = 10, root = 'prosemirror'): PresenceUser => ({
  clientId,
  user: `u-${clientId}`,
  cursor: null,
  lastSeen: 0,
  updates: 0,
  binding: 'yjs-cursor',
  location: { state: 'resolved', root, rootKind: 'XmlFragment', block, blocks, nodeName: 'paragraph' },
});

const update = (ts: number, paths: string[]): UpdateSummary => ({
  ts,
  clientId: 1,
  origin: 'client',
  bytes: 10,
  inserted: 1,
  deleted: 0,
  paths,
});

describe('document heatmap (block × time)', () => {
  it('counts carets per time bucket and block, read by Grafana as a dense grid', () => {
    const m = new DocHeatmap('presence', { bucketMs: 10_000 });
    m.addPresence([at(1, 0), at(2, 3)], 100_000);
    m.addPresence([at(1, 0), at(2, 4)], 105_000);
    m.addPresence(
      [at(1, 9), { ...at(3, 1), location: { state: 'unresolved', reason: 'missing-item' } }],
      125_000
    );
    const frame = buildDocHeatmapFrame(m, { refId: 'A', room: 'acme/doc' });
    expect(frame.meta?.type).toBe(DataFrameType.HeatmapCells);
    expect(frame.meta?.custom).toMatchObject({
      [COLLAB_FRAME_KIND_KEY]: 'docHeatmap',
      root: 'prosemirror',
      measure: 'presence',
      blocks: 10,
      samples: 5,
      bucketMs: 10_000,
    });
    expect(frame.fields.map((f) => f.name)).toEqual(['xMin', 'yMin', 'count']);
    expect(frame.fields[0]?.type).toBe(FieldType.time);
    const r = readLikeGrafana(frame);
    expect(r.dense).toBe(true);
    expect([r.xBuckets, r.yBuckets, r.xSize, r.ySize]).toEqual([3, 10, 10_000, 1]);
    expect(r.countAt(100_000, 0)).toBe(2);
    expect(r.countAt(100_000, 3)).toBe(1);
    expect(r.countAt(100_000, 4)).toBe(1);
    expect(r.countAt(110_000, 4)).toBe(0);
    expect(r.countAt(120_000, 9)).toBe(1);
    expect((frame.fields[2]?.values as number[]).reduce((a, b) => a + b, 0)).toBe(5);
  });

  it('groups long documents into equal bands and stays within the frame cap', () => {
    const m = new DocHeatmap('presence', { bucketMs: 1000 });
    for (let t = 0; t < 500; t++) m.addPresence([at(1, (t * 37) % 2000, 2000)], t * 1000);
    const c = m.cells();
    expect(c.rows).toBe(100);
    expect(c.band).toBe(20);
    expect(c.xMin.length).toBeLessThanOrEqual(FRAME_LIMITS.maxRows);
    expect(c.buckets).toBe(100);
    // Only the newest 100 buckets: samples 400..499.
    expect(c.count.reduce((a, b) => a + b, 0)).toBe(100);
    const r = readLikeGrafana(buildDocHeatmapFrame(m, { refId: 'A', room: 'r' }));
    expect(r.ySize).toBe(20);
    expect(r.countAt(499_000, (499 * 37) % 2000)).toBe(1);
  });

  it('edits: joins changed paths with the top-level blocks of the located root', () => {
    const m = new DocHeatmap('edits', { bucketMs: 1000 });
    m.addUpdate(update(10, ['/prosemirror/2/0'])); // no root known yet: ignored
    m.observeLocation(at(1, 0, 6));
    m.addUpdate(
      update(1000, ['/prosemirror/2/0', '/prosemirror/2/1', '/prosemirror/5', '/meta/title', '/prosemirror'])
    );
    m.addUpdate(update(2500, ['/prosemirror/x', 'bad', '/prosemirror/01']));
    m.addUpdate(update(2000, ['/prosemirror/0']));
    expect(m.samples).toBe(3);
    const r = readLikeGrafana(buildDocHeatmapFrame(m, { refId: 'A', room: 'r' }));
    expect(r.countAt(1000, 2)).toBe(1);
    expect(r.countAt(1000, 5)).toBe(1);
    expect(r.countAt(2000, 0)).toBe(1);
    expect(r.countAt(1000, 0)).toBe(0);
  });

  it('edits in a Y.Text: joins the lines an update touched with the located text’s lines', () => {
    const m = new DocHeatmap('edits', { bucketMs: 1000 });
    const code: PresenceUser = {
      ...at(1, 4, 40, 'codemirror'),
      location: { state: 'resolved', root: 'codemirror', rootKind: 'Text', block: 4, blocks: 40, line: 5 },
    };
    m.observeLocation(code);
    m.addUpdate({ ...update(1000, ['/codemirror']), lines: [{ path: '/codemirror', from: 12, to: 12 }] });
    m.addUpdate({
      ...update(2000, ['/codemirror']),
      lines: [
        { path: '/codemirror', from: 3, to: 5 },
        { path: '/quill', from: 30, to: 30 },
      ],
    });
    // A text update without lines (an older pod) counts nowhere, as before.
    m.addUpdate(update(2500, ['/codemirror']));
    expect(m.samples).toBe(4);
    const r = readLikeGrafana(buildDocHeatmapFrame(m, { refId: 'A', room: 'r' }));
    expect(r.countAt(1000, 12)).toBe(1);
    for (const l of [3, 4, 5]) expect(r.countAt(2000, l)).toBe(1);
    expect(r.countAt(2000, 30)).toBe(0);
    // A huge paste counts in at most MAX_LINES_PER_UPDATE lines.
    m.addUpdate({ ...update(3000, ['/codemirror']), lines: [{ path: '/codemirror', from: 0, to: 1e9 }] });
    expect(m.samples).toBe(4 + MAX_LINES_PER_UPDATE);
  });

  it('blockOfPath reads only the root’s numeric top-level index', () => {
    expect(blockOfPath('/prosemirror/3/1/0', 'prosemirror')).toBe(3);
    expect(blockOfPath('/default/0', 'prosemirror')).toBeNull();
    expect(blockOfPath('/prosemirror', 'prosemirror')).toBeNull();
    expect(blockOfPath('/prosemirror/-1', 'prosemirror')).toBeNull();
    expect(blockOfPath('prosemirror/1', 'prosemirror')).toBeNull();
    expect(blockOfPath('/prosemirror/1e3', 'prosemirror')).toBeNull();
  });

  it('another root resets the map; bad samples are ignored; memory is bounded', () => {
    const m = new DocHeatmap('presence', { bucketMs: 1000, maxSamples: 10 });
    m.addPresence([at(1, 1)], 1000);
    m.addPresence([at(1, 2, 3, 'default')], 2000);
    expect([m.root, m.blocks, m.samples]).toEqual(['default', 3, 1]);
    m.add(NaN, 1);
    m.add(1000, -1);
    m.add(1000, 1.5);
    expect(m.samples).toBe(1);
    for (let i = 0; i < 50; i++) m.add(3000 + i, 0);
    expect(m.samples).toBe(10);
    expect(new DocHeatmap('presence', { bucketMs: 1000 }).cells().xMin).toEqual([]);
    expect(() => new DocHeatmap('presence', { bucketMs: 0 })).toThrow(/bucket/);
  });

  it('bucket width: the query’s seconds, else the range in 100 buckets, at least 1 s', () => {
    expect(docHeatmapBucketMs(30, 0, 1)).toBe(30_000);
    expect(docHeatmapBucketMs(0.2, 0, 1)).toBe(1000);
    expect(docHeatmapBucketMs(undefined, 0, 3_600_000)).toBe(36_000);
    expect(docHeatmapBucketMs('x', 0, 60_000)).toBe(1000);
    expect(docHeatmapBucketMs(-5, 10, 5)).toBe(36_000);
  });
});
