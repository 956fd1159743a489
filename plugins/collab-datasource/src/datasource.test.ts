import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  type DataQueryRequest,
  type DataQueryResponse,
  type DataSourceInstanceSettings,
  getDefaultTimeRange,
} from '@grafana/data';
import { type TemplateSrv, setTemplateSrv } from '@grafana/runtime';

import { CollabDataSource, type CollabJsonData, type CollabQuery, SKELETON_TICK_MS } from './datasource';

const settings = {
  id: 1,
  uid: 'collab-test',
  type: 'collabblocks-collab-datasource',
  name: 'Collab',
  url: '/api/datasources/proxy/uid/collab-test',
  access: 'proxy',
  readOnly: false,
  jsonData: { podUrl: 'http://127.0.0.1:1' },
  meta: {} as DataSourceInstanceSettings['meta'],
} as DataSourceInstanceSettings<CollabJsonData>;

function request(targets: CollabQuery[]): DataQueryRequest<CollabQuery> {
  const range = getDefaultTimeRange();
  return {
    requestId: 'r1',
    interval: '1s',
    intervalMs: 1000,
    range,
    scopedVars: {},
    targets,
    timezone: 'utc',
    app: 'dashboard',
    startTime: Date.now(),
  };
}

describe('CollabDataSource skeleton', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    setTemplateSrv({ replace: (s?: string) => (s ?? '').replace('$room', 'acme/design') } as TemplateSrv);
  });
  afterEach(() => vi.useRealTimers());

  it('streams one frame per target until unsubscribed, interpolating the room', () => {
    const ds = new CollabDataSource(settings);
    const seen: DataQueryResponse[] = [];
    const sub = ds
      .query(request([{ refId: 'A', queryType: 'rooms', room: '$room' }]))
      .subscribe((r) => seen.push(r));
    expect(seen).toHaveLength(1);
    vi.advanceTimersByTime(SKELETON_TICK_MS * 2);
    expect(seen).toHaveLength(3);
    const frame = seen[2]?.data[0];
    expect(frame?.refId).toBe('A');
    expect(frame?.fields.find((f: { name: string }) => f.name === 'room')?.values[0]).toBe('acme/design');
    sub.unsubscribe();
    vi.advanceTimersByTime(SKELETON_TICK_MS * 5);
    expect(seen).toHaveLength(3);
    expect(vi.getTimerCount()).toBe(0);
  });
});
