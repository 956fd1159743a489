import { describe, expect, it } from 'vitest';
import { createDataFrame, FieldType, LoadingState } from '@grafana/data';

import { infoNotice, truncatedNotice, warningNotice } from '../data/common';
import { response, withNotices } from './context';

const ctx = { key: 'r1-A', refId: 'A' };
const frame = () =>
  createDataFrame({
    refId: 'A',
    meta: { custom: { collabFrame: 'tree' } },
    fields: [{ name: 'x', type: FieldType.number, values: [1] }],
  });

describe('notices are frame meta, errors are errors', () => {
  it('puts notices into the first frame (deduplicated) and keeps errors for failures only', () => {
    const f = frame();
    const res = response(
      ctx,
      LoadingState.Done,
      [f, frame()],
      ['pod-2: no answer within 5000 ms'],
      [warningNotice('cut'), warningNotice('cut'), infoNotice('path not there yet')]
    );
    expect(res.errors?.map((e) => e.message)).toEqual(['pod-2: no answer within 5000 ms']);
    expect(res.data[0].meta.notices).toEqual([
      { severity: 'warning', text: 'cut' },
      { severity: 'info', text: 'path not there yet' },
    ]);
    expect(res.data[0].meta.custom).toEqual({ collabFrame: 'tree' });
    expect(res.data[1].meta.notices).toBeUndefined();
    // The frame handed in is not mutated (live windows are reused between emissions).
    expect(f.meta?.notices).toBeUndefined();
  });

  it('only notices: no errors at all; no frame: an empty frame of the query carries them', () => {
    const res = response(ctx, LoadingState.Streaming, [], [], [truncatedNotice('tree', 10_005, 10_000)]);
    expect(res.errors).toBeUndefined();
    expect(res.error).toBeUndefined();
    expect(res.data).toHaveLength(1);
    expect(res.data[0].refId).toBe('A');
    expect(res.data[0].length).toBe(0);
    expect(res.data[0].meta.notices[0]).toMatchObject({ severity: 'warning' });
    expect(res.data[0].meta.notices[0].text).toMatch(/10005 rows, only the first 10000/);
    expect(withNotices('A', [], [])).toEqual([]);
  });

  it('a later emission without notices clears them', () => {
    const [withN] = withNotices('A', [frame()], [warningNotice('cut')]);
    const [cleared] = withNotices('A', [withN!], []);
    expect(cleared?.meta?.notices).toBeUndefined();
    expect(cleared?.meta?.custom).toEqual({ collabFrame: 'tree' });
  });
});
