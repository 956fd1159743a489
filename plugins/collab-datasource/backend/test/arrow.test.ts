// @vitest-environment jsdom
// (fieldTypes.ts reads FieldType from @grafana/data, whose bundle needs a window.)
// Frames → Arrow IPC (frames/arrow.ts), read back the way Grafana's Go reader does (the file's schema, columns by
// position: the e2e harness's reader).
import { describe, expect, it } from 'vitest';
import type { DataFrame } from '@grafana/data';

import { readArrowIPC } from '../../../../e2e/harness/src/server/backendPlugin/frames';
import { frameToArrow } from '../src/frames/arrow';
import { mergeFrames } from '../src/frames/merge';
import { field } from './frames.testutil';

/** One pod's live metrics window: a time field and two series labelled with the pod. */
const metrics = (pod: string, times: number[], ops: number[]): DataFrame => ({
  refId: 'F',
  name: `${pod} acme/doc`,
  meta: { custom: { pod } },
  fields: [
    field('time', 'time', times),
    field('opsPerSec', 'number', ops, { pod }),
    field(
      'connections',
      'number',
      ops.map(() => 2),
      { pod }
    ),
  ],
  length: times.length,
});

function decoded(bytes: Uint8Array) {
  const t = readArrowIPC(bytes);
  return t.schema.fields.map((f, i) => ({
    name: f.metadata.get('name'),
    labels: f.metadata.get('labels'),
    values: Array.from({ length: t.numRows }, (_, r) => {
      const v = t.getChildAt(i)!.get(r);
      return typeof v === 'bigint' ? Number(v) : v;
    }),
  }));
}

describe('frameToArrow', () => {
  it('writes fields that share a name (one series per pod) with each its own labels and values', () => {
    // Both pods have reported: the merged frame has opsPerSec and connections twice. This threw "Table and inner
    // RecordBatch schemas must be equivalent" (apache-arrow merges a batch's fields by name), so a live metrics
    // query over two pods failed in QueryData whenever both had reported within its settle window.
    const [merged] = mergeFrames([metrics('pod-a', [1000], [1.5]), metrics('pod-b', [1500], [2])]);
    const fields = decoded(frameToArrow(merged!));
    expect(
      fields.map((f) => [f.name, f.labels ? (JSON.parse(f.labels) as { pod: string }).pod : ''])
    ).toEqual([
      ['time', ''],
      ['opsPerSec', 'pod-a'],
      ['connections', 'pod-a'],
      ['opsPerSec', 'pod-b'],
      ['connections', 'pod-b'],
    ]);
    const byPod = (name: string, pod: string) =>
      fields.find((f) => f.name === name && f.labels?.includes(`"${pod}"`))?.values;
    expect(fields[0]?.values).toEqual([1000, 1500]);
    expect(byPod('opsPerSec', 'pod-b')).toEqual([null, 2]);
    expect(byPod('opsPerSec', 'pod-a')?.[0]).toBe(1.5);
  });

  it('writes an empty frame and a plain one', () => {
    expect(decoded(frameToArrow({ refId: 'A', fields: [], length: 0 }))).toEqual([]);
    const one = decoded(frameToArrow(metrics('pod-a', [1, 2], [3, 4])));
    expect(one.map((f) => f.values)).toEqual([
      [1, 2],
      [3, 4],
      [2, 2],
    ]);
  });
});
