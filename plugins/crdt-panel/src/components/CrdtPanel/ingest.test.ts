import { describe, expect, it } from 'vitest';

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

function stepsWithoutFrom() {
  const f = steps();
  const custom = { ...(f.meta?.custom ?? {}) };
  delete custom.from;
  f.meta = { ...f.meta, custom };
  return f;
}
