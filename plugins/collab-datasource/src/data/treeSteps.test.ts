import { describe, expect, it } from 'vitest';
import type { DataFrame } from '@grafana/data';
import {
  collabFrameKind,
  FRAME_LIMITS,
  TREE_STEP_FIELDS as F,
  TREE_STEP_OPS,
  type HistoryTreeStep,
  type TreeStepsFrameCustom,
} from '@collabblocks/protocol';

import { buildTreeStepsFrame, selectSteps, stepRowCount } from './treeSteps';
import { treeNode as node } from './tree.testutil';

const step = (seq: number, patch: Partial<HistoryTreeStep> = {}): HistoryTreeStep => ({
  seq,
  ts: 1000 + seq,
  clientId: 7,
  added: [],
  changed: [],
  removed: [],
  ...patch,
});

const opts = { refId: 'S', room: 'acme/a', pod: 'pod-1', from: 1000, to: 2000, truncated: false };

const col = (frame: DataFrame, name: string): unknown[] =>
  Array.from(frame.fields.find((f) => f.name === name)?.values ?? []);

describe('treeSteps frame', () => {
  it('one row per touched node, steps in order, every TREE_STEP_FIELDS column, meta per contract', () => {
    const steps = [
      step(1, {
        added: [
          node('/m/a', '/m'),
          node('/m/a/x', '/m/a', { type: 'value', valueType: 'string', value: 'hi' }),
        ],
        changed: [node('/m', '', { children: 1, lastClient: 7, lastClock: 3, lastTime: 1001 })],
      }),
      step(2, { clientId: 9, removed: ['/m/a'], changed: [node('/m', '', { children: 0 })] }),
    ];
    const { frame, steps: kept, droppedSteps } = buildTreeStepsFrame(steps, { ...opts, scope: 'content' });
    expect(kept).toBe(2);
    expect(droppedSteps).toBe(0);
    expect(frame.fields.map((f) => f.name)).toEqual(Object.values(F));
    expect(frame.fields.find((f) => f.name === F.time)?.type).toBe('time');
    expect(frame.length).toBe(5);
    expect(col(frame, F.seq)).toEqual([1, 1, 1, 2, 2]);
    expect(col(frame, F.time)).toEqual([1001, 1001, 1001, 1002, 1002]);
    expect(col(frame, F.clientId)).toEqual([7, 7, 7, 9, 9]);
    // Within a step: removals, then additions (parents first), then changes.
    expect(col(frame, F.op)).toEqual(['added', 'added', 'changed', 'removed', 'changed']);
    expect(col(frame, F.path)).toEqual(['/m/a', '/m/a/x', '/m', '/m/a', '/m']);
    expect(col(frame, F.parentPath)).toEqual(['/m', '/m/a', '', '', '']);
    expect(col(frame, F.value)).toEqual(['', 'hi', '', '', '']);
    expect(col(frame, F.lastTime)[2]).toBe(1001);
    // A removed row carries its path only.
    expect(col(frame, F.depth)[3]).toBeNull();
    expect(col(frame, F.type)[3]).toBe('');
    expect(col(frame, F.children)[4]).toBe(0);
    expect(collabFrameKind(frame.meta)).toBe('treeSteps');
    const custom = frame.meta?.custom as TreeStepsFrameCustom;
    expect(custom).toEqual({
      collabFrame: 'treeSteps',
      room: 'acme/a',
      pod: 'pod-1',
      from: 1000,
      to: 2000,
      steps: 2,
      truncated: false,
      scope: 'content',
      rootPath: '',
      maxDepth: null,
    });
    expect(col(frame, F.op).every((o) => (TREE_STEP_OPS as readonly unknown[]).includes(o))).toBe(true);
  });

  it('a step without visible change is one `none` row with an empty path', () => {
    const { frame } = buildTreeStepsFrame([step(4), step(5, { added: [node('/t', '', { type: 'Text' })] })], {
      ...opts,
      scope: 'metadata',
    });
    expect(frame.length).toBe(2);
    expect(col(frame, F.op)).toEqual(['none', 'added']);
    expect(col(frame, F.path)).toEqual(['', '/t']);
    expect(col(frame, F.seq)).toEqual([4, 5]);
    expect(col(frame, F.depth)[0]).toBeNull();
    expect(stepRowCount(step(4))).toBe(1);
  });

  it('never carries values with metadata scope', () => {
    const secret = node('/m/k', '/m', { type: 'value', valueType: 'string', value: 'typed secret' });
    const { frame } = buildTreeStepsFrame(
      [step(1, { added: [secret], changed: [{ ...secret, value: 'more' }] })],
      {
        ...opts,
        scope: 'metadata',
      }
    );
    expect(col(frame, F.value)).toEqual(['', '']);
    expect(JSON.stringify(frame.fields.map((f) => Array.from(f.values)))).not.toMatch(/secret|more/);
    expect((frame.meta?.custom as TreeStepsFrameCustom).scope).toBe('metadata');
  });

  it('cuts at the row cap on a step boundary, sets truncated and the last exact instant', () => {
    const big = (seq: number, n: number): HistoryTreeStep =>
      step(seq, { added: Array.from({ length: n }, (_, i) => node(`/m/k${seq}-${i}`, '/m')) });
    // 3 + 4 rows fit in 8; the third step (2 rows) would overflow; the fourth (1 row) must not jump the gap.
    const steps = [big(1, 3), big(2, 4), big(3, 2), step(4)];
    const {
      frame,
      steps: kept,
      droppedSteps,
      totalRows,
    } = buildTreeStepsFrame(steps, {
      ...opts,
      scope: 'metadata',
      maxRows: 8,
    });
    expect(kept).toBe(2);
    expect(droppedSteps).toBe(2);
    expect(totalRows).toBe(10);
    expect(frame.length).toBe(7);
    expect(new Set(col(frame, F.seq))).toEqual(new Set([1, 2]));
    const custom = frame.meta?.custom as TreeStepsFrameCustom;
    expect(custom.truncated).toBe(true);
    expect(custom.steps).toBe(2);
    expect(custom.to).toBe(1002);
  });

  it('the default cap is FRAME_LIMITS.maxRows; a pod-side truncation is kept', () => {
    const steps = Array.from({ length: FRAME_LIMITS.maxRows + 3 }, (_, i) => step(i + 1));
    const { frame, steps: kept } = buildTreeStepsFrame(steps, { ...opts, scope: 'metadata', maxRows: 1e9 });
    expect(kept).toBe(FRAME_LIMITS.maxRows);
    expect(frame.length).toBe(FRAME_LIMITS.maxRows);
    const small = buildTreeStepsFrame([step(1)], { ...opts, truncated: true, scope: 'metadata' });
    expect((small.frame.meta?.custom as TreeStepsFrameCustom).truncated).toBe(true);
    expect((small.frame.meta?.custom as TreeStepsFrameCustom).to).toBe(1001);
    expect(
      (
        buildTreeStepsFrame([], { ...opts, truncated: true, scope: 'metadata' }).frame.meta
          ?.custom as TreeStepsFrameCustom
      ).to
    ).toBe(1000);
    const empty = buildTreeStepsFrame([], { ...opts, scope: 'metadata' });
    expect(empty.frame.length).toBe(0);
    expect(empty.frame.fields).toHaveLength(Object.keys(F).length);
  });

  it('through a subtree/depth selection: outside rows and steps dropped, an ancestor removal removes the root', () => {
    const steps = [
      step(1, { added: [node('/other/x', '/other')] }), // outside: dropped
      step(2, {
        added: [node('/m/a', '/m'), node('/m/a/deep', '/m/a'), node('/m/a/deep/er', '/m/a/deep')],
        changed: [node('/m', '', { children: 1 }), node('/other', '')],
      }),
      step(3), // changed nothing visible: dropped under a selection
      step(4, { removed: ['/m/a/deep', '/other/x'] }),
      step(5, { removed: ['/m'] }), // an ancestor of the subtree root
    ];
    const sel = { rootPath: '/m/a', maxDepth: 1 };
    const kept = selectSteps(steps, sel);
    expect(kept.map((s) => s.seq)).toEqual([2, 4, 5]);
    expect(kept[0]?.added.map((n) => n.path)).toEqual(['/m/a', '/m/a/deep']);
    expect(kept[0]?.changed).toEqual([]);
    expect(kept[1]?.removed).toEqual(['/m/a/deep']);
    expect(kept[2]?.removed).toEqual(['/m/a']);
    const { frame } = buildTreeStepsFrame(kept, { ...opts, scope: 'metadata', subtree: sel });
    expect(col(frame, F.path)).toEqual(['/m/a', '/m/a/deep', '/m/a/deep', '/m/a']);
    // Paths, parents and depths stay absolute.
    expect(col(frame, F.parentPath).slice(0, 2)).toEqual(['/m', '/m/a']);
    expect(col(frame, F.depth).slice(0, 2)).toEqual([2, 3]);
    expect(frame.meta?.custom).toMatchObject({ rootPath: '/m/a', maxDepth: 1, steps: 3 });
    // Depth only (whole document): root types are level 0.
    expect(selectSteps(steps, { rootPath: '', maxDepth: 0 }).map((s) => s.seq)).toEqual([2, 5]);
    // No selection: the steps as they are, `none` steps included.
    expect(selectSteps(steps, { rootPath: '' })).toEqual(steps);
  });
});
