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
