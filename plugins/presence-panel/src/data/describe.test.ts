import { describe, expect, it } from 'vitest';
import { createDataFrame, FieldType } from '@grafana/data';

import { describeRoom, hotspotRegion, regionName, whereText } from './describe';
import { HeatGrid } from './heatmap';
import { PresenceStore } from './store';

describe('text alternative of a room', () => {
  it('names the thirds of the canvas', () => {
    expect(regionName(0.1, 0.1)).toBe('top left');
    expect(regionName(0.5, 0.5)).toBe('centre');
    expect(regionName(0.9, 0.5)).toBe('middle right');
    expect(regionName(0.5, 1)).toBe('bottom centre');
    expect(regionName(-3, 7)).toBe('bottom left');
  });

  it('finds the hottest cell, or nothing in an empty heatmap', () => {
    const g = new HeatGrid(12, 0);
    expect(hotspotRegion(g)).toBe('');
    g.add(0.1, 0.9, 1);
    g.add(0.8, 0.2, 2);
    expect(hotspotRegion(g)).toBe('top right');
  });

  it('summarises users, stale presences, cursors and the hotspot', () => {
    const s = new PresenceStore({
      gridSize: 8,
      halfLifeMs: 0,
      paletteSize: 4,
      stale: { updates: 0, seconds: 60 },
      maxUsers: 10,
      maxRooms: 2,
    });
    const room = () => s.rooms.get('acme/doc')!;
    const frame = createDataFrame({
      meta: { custom: { collabFrame: 'presence', room: 'acme/doc', ts: 100_000 } },
      fields: [
        { name: 'user', type: FieldType.string, values: ['a', 'b', 'c'] },
        { name: 'x', type: FieldType.number, values: [0.1, 0.12, null] },
        { name: 'y', type: FieldType.number, values: [0.1, 0.12, null] },
        { name: 'lastSeen', type: FieldType.time, values: [100_000, 0, 100_000] },
      ],
    });
    s.ingest([frame], 1_000);
    expect(describeRoom(room(), 1_000, s.options.stale)).toBe(
      'Presence in room acme/doc: 3 users (1 stale), 2 cursors shown. Most activity: top left.'
    );
    s.ingest([{ ...frame, fields: frame.fields.map((f) => ({ ...f, values: [] })), length: 0 }], 2_000);
    room().heat.clear();
    expect(describeRoom(room(), 2_000, s.options.stale)).toBe(
      'Presence in room acme/doc: nobody. No activity recorded yet.'
    );
  });
});

describe('where a user is, in words', () => {
  const none = { nodeName: '', line: NaN, column: NaN, block: NaN, selection: NaN };
  it('reads node name, line and column of a Y.Text or the block of a tree, and the selection', () => {
    expect(whereText({ ...none, nodeName: 'heading', block: 2, selection: 5 })).toBe('heading #3 (5 sel)');
    expect(whereText({ ...none, line: 12, column: 4, block: 11, selection: 0 })).toBe('L12:4');
    expect(whereText(none)).toBe('');
  });
});
