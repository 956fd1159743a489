import { describe, expect, it } from 'vitest';
import { createDataFrame, FieldType } from '@grafana/data';
import { COLLAB_FRAME_KIND_KEY } from '@collabblocks/protocol';

import { node, stepsFrame, treeFrame } from '../../data/testing';
import { PanelStore } from './ingest';

const base = [node('/doc', 'Map'), node('/doc/title', 'Text', { value: 'one' })];
const steps = () =>
  stepsFrame([{ ts: 2000, seq: 1, added: [], changed: [{ ...base[1]!, value: 'two' }], removed: [] }], {
    from: 1000,
    to: 3000,
  });

const titleAt = (s: PanelStore, t: number) => s.history.stateAt(t)?.model.nodes.get('/doc/title')?.value;

describe('PanelStore replay pairing', () => {
  it('pairs a treeSteps frame with the historyTree frame whose ts is its from, in any order', () => {
    const s = new PanelStore();
    s.ingest([steps(), treeFrame(base, { ts: 1000 }, 'historyTree')]);
    expect(titleAt(s, 2500)).toBe('two');
    expect(s.history.stateAt(2500)?.exact).toBe(true);
  });

  it('keeps a replay until its historyTree arrives in a later response, and ignores other instants', () => {
    const s = new PanelStore();
    s.ingest([steps()]);
    expect(s.history.stateAt(2500)).toBeNull();
    s.ingest([treeFrame(base, { ts: 999 }, 'historyTree')]);
    expect(s.history.replaySteps).toBe(0);
    s.ingest([treeFrame(base, { ts: 1000 }, 'historyTree')]);
    expect(titleAt(s, 2500)).toBe('two');
  });

  it('re-attaches the response replay when its historyTree frame is replaced (same frames re-delivered)', () => {
    const s = new PanelStore();
    const st = steps();
    s.ingest([treeFrame(base, { ts: 1000 }, 'historyTree'), st]);
    s.ingest([treeFrame(base, { ts: 1000 }, 'historyTree'), st]);
    expect(titleAt(s, 2500)).toBe('two');
  });

  it('uses the historyTree of the same query when the steps frame has no from', () => {
    const s = new PanelStore();
    s.ingest([treeFrame(base, { ts: 1000 }, 'historyTree'), stepsWithoutFrom()]);
    expect(titleAt(s, 2500)).toBe('two');
  });
});

describe('PanelStore replayed updates in the update list', () => {
  it('lists every replayed update; a history frame entry for the same update replaces it', () => {
    const s = new PanelStore();
    s.ingest([treeFrame(base, { ts: 1000 }, 'historyTree'), steps()]);
    expect(s.updates).toMatchObject([
      { id: 'pod-a:acme/doc:1', ts: 2000, seq: 1, origin: 'replay', paths: ['/doc/title'] },
    ]);
    const history = createDataFrame({
      refId: 'L',
      meta: { custom: { [COLLAB_FRAME_KIND_KEY]: 'history' } },
      fields: [
        { name: 'timestamp', type: FieldType.time, values: [2000, 2500] },
        { name: 'id', type: FieldType.string, values: ['pod-a:acme/doc:1', 'pod-a:acme/doc:2'] },
        { name: 'seq', type: FieldType.number, values: [1, 2] },
        { name: 'user', type: FieldType.string, values: ['u-1', 'u-2'] },
        { name: 'paths', type: FieldType.string, values: ['["/doc/title"]', '["/doc"]'] },
      ],
    });
    s.ingest([history]);
    expect(s.updates.map((u) => [u.id, u.user, u.origin])).toEqual([
      ['pod-a:acme/doc:1', 'u-1', ''],
      ['pod-a:acme/doc:2', 'u-2', ''],
    ]);
  });
});

function stepsWithoutFrom() {
  const f = steps();
  const custom = { ...(f.meta?.custom ?? {}) };
  delete custom.from;
  f.meta = { ...f.meta, custom };
  return f;
}

describe('PanelStore live emissions', () => {
  it('records a value change made in the same emission as a structural change (time travel and flash)', () => {
    const s = new PanelStore();
    const m = node('/m', 'Map');
    const a = node('/m/a', 'value', { value: 'y0' });
    s.ingest([treeFrame([m, a, node('/m/b', 'value', { value: 'b' })], { ts: 1000 })]);
    // /m/a changes and /m/b is replaced by /m/c: same node count, another structure.
    const changed = s.ingest([
      treeFrame([m, { ...a, value: 'y' }, node('/m/c', 'value', { value: 'c' })], { ts: 2000 }),
    ]);
    expect(s.live?.nodes.get('/m/a')?.value).toBe('y');
    expect(changed).toContain('/m/a');
    expect(s.history.stateAt(2000)?.model.nodes.get('/m/a')?.value).toBe('y');
    expect(s.history.stateAt(1500)?.model.nodes.get('/m/a')?.value).toBe('y0');
    expect(s.history.stateAt(2000)?.model.nodes.has('/m/c')).toBe(true);
  });
});

describe('PanelStore room changes', () => {
  const updates = (room: string, ids: string[], ts: number) =>
    createDataFrame({
      refId: 'U',
      meta: { custom: { [COLLAB_FRAME_KIND_KEY]: 'updates', room } },
      fields: [
        { name: 'timestamp', type: FieldType.time, values: ids.map((_, i) => ts + i) },
        { name: 'id', type: FieldType.string, values: ids },
        { name: 'paths', type: FieldType.string, values: ids.map(() => '["/doc/title"]') },
      ],
    });

  it('starts over when the room changes: no patch across rooms, no mixed update list', () => {
    const s = new PanelStore();
    s.ingest([treeFrame(base, { ts: 1000, room: 'acme/a' }), updates('acme/a', ['a1', 'a2'], 900)]);
    s.ingest([treeFrame([base[0]!, { ...base[1]!, value: 'later' }], { ts: 2000, room: 'acme/a' })]);
    expect(s.history.liveSteps).toBe(1);
    const epoch = s.epoch;
    const other = [node('/doc', 'Map'), node('/doc/body', 'Text', { value: 'b' })];
    // The old room's updates window is still in the response (its query has not re-run yet): left out.
    s.ingest([treeFrame(other, { ts: 3000, room: 'acme/b' }), updates('acme/a', ['a1', 'a2', 'a3'], 900)]);
    expect(s.epoch).toBe(epoch + 1);
    expect(s.room).toBe('acme/b');
    expect(s.history.liveSteps).toBe(0);
    expect(s.history.instants()).toEqual([3000]);
    expect(s.history.stateAt(1500)).toMatchObject({ before: true, ts: 3000 });
    expect(s.history.stateAt(1500)?.model.nodes.has('/doc/title')).toBe(false);
    expect(s.updates).toEqual([]);
    s.ingest([treeFrame(other, { ts: 3000, room: 'acme/b' }), updates('acme/b', ['b1'], 2900)]);
    expect(s.updates.map((u) => u.id)).toEqual(['b1']);
    expect(s.epoch).toBe(epoch + 1);
  });

  it('drops keyframes and replays of the previous room, and reads a re-delivered frame again', () => {
    const s = new PanelStore();
    const keyA = treeFrame(base, { ts: 1000, room: 'acme/doc' }, 'historyTree');
    s.ingest([keyA, steps()]);
    expect(s.history.replaySteps).toBe(1);
    s.ingest([treeFrame(base, { ts: 1000, room: 'acme/b' }, 'historyTree')]);
    expect(s.history.replaySteps).toBe(0);
    expect(s.updates).toEqual([]);
    // Back to the first room with the same frame objects: read again.
    s.ingest([keyA, steps()]);
    expect(titleAt(s, 2500)).toBe('two');
  });
});

describe('PanelStore writers’ colours', () => {
  const presence = (room: string, rows: Array<[number, unknown]>) =>
    createDataFrame({
      refId: 'P',
      meta: { custom: { [COLLAB_FRAME_KIND_KEY]: 'presence', room } },
      fields: [
        { name: 'clientId', type: FieldType.number, values: rows.map((r) => r[0]) },
        { name: 'color', type: FieldType.string, values: rows.map((r) => r[1]) },
      ],
    });

  it('reads the colours published in presence frames of the room shown, and forgets them with the room', () => {
    const s = new PanelStore();
    s.ingest([
      treeFrame(base, { ts: 1000, room: 'acme/a' }),
      presence('acme/a', [
        [7, '#e03131'],
        [8, 'url(x)'],
      ]),
      presence('acme/b', [[9, '#00ff00']]),
    ]);
    expect([s.colors.of(7), s.colors.of(8), s.colors.of(9)]).toEqual(['#e03131', '', '']);
    s.ingest([treeFrame(base, { ts: 2000, room: 'acme/b' }), presence('acme/b', [[9, '#00ff00']])]);
    expect([s.colors.of(7), s.colors.of(9)]).toEqual(['', '#00ff00']);
  });
});
