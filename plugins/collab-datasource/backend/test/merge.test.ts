// One frame per Live packet (frames/merge.ts): pure unit tests on plain frames.
import { describe, expect, it } from 'vitest';
import type { DataFrame } from '@grafana/data';

import { mergeFrames } from '../src/frames/merge';
import { field } from './frames.testutil';

const series = (pod: string, times: number[], values: number[], notices?: string[]): DataFrame => ({
  refId: 'A',
  name: `${pod} acme/doc`,
  meta: {
    custom: { pod },
    ...(notices ? { notices: notices.map((text) => ({ severity: 'error' as const, text })) } : {}),
  },
  fields: [field('time', 'time', times), field('connections', 'number', values, { pod })],
  length: times.length,
});

describe('mergeFrames', () => {
  it('keeps a single frame as it is', () => {
    const f = series('a', [1], [1]);
    expect(mergeFrames([f])).toEqual([f]);
    expect(mergeFrames([])).toEqual([]);
  });

  it('joins time series of several pods on one time field, each value as of that time', () => {
    const [m] = mergeFrames([
      series('a', [1000, 2000, 3000], [1, 2, 3]),
      series('b', [1500, 2500], [10, 20]),
    ]);
    expect(m!.fields.map((f) => [f.name, f.labels?.pod])).toEqual([
      ['time', undefined],
      ['connections', 'a'],
      ['connections', 'b'],
    ]);
    expect(m!.fields[0]!.values).toEqual([1000, 1500, 2000, 2500, 3000]);
    expect(m!.fields[1]!.values).toEqual([1, 1, 2, 2, 3]);
    // Null before pod b's first sample, then its latest value.
    expect(m!.fields[2]!.values).toEqual([null, 10, 10, 20, 20]);
    expect(m!.length).toBe(5);
    expect(m!.meta?.type).toBe('timeseries-wide');
    expect(m!.refId).toBe('A');
  });

  it('keeps every frame’s notices (a failed pod stays named)', () => {
    const [m] = mergeFrames([
      series('a', [1], [1], ['pod-b: inspect socket closed']),
      series('b', [2], [2], ['pod-b: inspect socket closed', 'other']),
    ]);
    expect(m!.meta?.notices?.map((n) => n.text)).toEqual(['pod-b: inspect socket closed', 'other']);
  });

  it('reads rows in time order even when a pod’s clock stepped back', () => {
    const [m] = mergeFrames([series('a', [3000, 1000], [3, 1]), series('b', [2000], [20])]);
    expect(m!.fields[0]!.values).toEqual([1000, 2000, 3000]);
    expect(m!.fields[1]!.values).toEqual([1, 1, 3]);
  });

  it('concatenates frames with the same fields; leaves different ones alone', () => {
    const a: DataFrame = { fields: [field('room', 'string', ['x'])], length: 1 };
    const b: DataFrame = { fields: [field('room', 'string', ['y', 'z'])], length: 2 };
    const [m] = mergeFrames([a, b]);
    expect(m!.fields[0]!.values).toEqual(['x', 'y', 'z']);
    const c: DataFrame = { fields: [field('other', 'number', [1])], length: 1 };
    expect(mergeFrames([a, c])).toEqual([a, c]);
  });
});
