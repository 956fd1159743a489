/**
 * The datasource is a backend datasource: every query, variable and health check goes to Grafana's API
 * (`/api/ds/query`, the datasource's resources and health), a live answer becomes a Grafana Live stream, and
 * nothing connects to a pod or asks for a token. Grafana's services are recorded fakes here; the e2e harness
 * runs the same datasource against the real backend executable and real pods.
 */
import { firstValueFrom, toArray } from 'rxjs';
import { beforeEach, describe, expect, it } from 'vitest';
import { dateTime, type DataQueryRequest, LoadingState, StreamingFrameAction } from '@grafana/data';
import { setTemplateSrv, type TemplateSrv } from '@grafana/runtime';

import { CollabDataSource } from './datasource';
import { type Answer, collabSettings, fakeGrafana } from './datasource.testutil';
import type { CollabQuery } from './types';

const vars: Record<string, string | string[]> = {
  room: 'acme/roadmap',
  rooms: ['acme/a', 'acme/b'],
  who: 'ann',
};
setTemplateSrv({
  replace: (text?: string, _scoped?: unknown, format?: unknown) =>
    (text ?? '').replace(/\$(\w+)/g, (m, name: string) => {
      const v = vars[name];
      if (v === undefined) return m;
      if (typeof format === 'function') return (format as (x: unknown) => string)(v);
      return Array.isArray(v) ? `{${v.join(',')}}` : v;
    }),
} as unknown as TemplateSrv);

function request(targets: Array<Partial<CollabQuery>>): DataQueryRequest<CollabQuery> {
  return {
    requestId: 'r1',
    interval: '1s',
    intervalMs: 1000,
    maxDataPoints: 500,
    range: { from: dateTime(1000), to: dateTime(61_000), raw: { from: 'now-1m', to: 'now' } },
    scopedVars: {},
    targets: targets.map(
      (t, i) => ({ refId: String.fromCharCode(65 + i), queryType: 'rooms', ...t }) as CollabQuery
    ),
    timezone: 'utc',
    app: 'dashboard',
    startTime: 0,
  };
}

const frame = (refId: string, meta: Record<string, unknown> = {}) => ({
  schema: { refId, meta, fields: [{ name: 'room', type: 'string' }] },
  data: { values: [['acme/roadmap']] },
});

describe('CollabDataSource (a backend datasource)', () => {
  let answer: (url: string, data: unknown) => Answer;
  let grafana: ReturnType<typeof fakeGrafana>;
  beforeEach(() => {
    answer = () => ({ status: 404, data: { message: 'not found' } });
    grafana = fakeGrafana((req) => answer(req.url, req.data));
  });

  it('sends queries, variables replaced, to /api/ds/query and answers the frames', async () => {
    answer = () => ({ status: 200, data: { results: { A: { status: 200, frames: [frame('A')] } } } });
    const ds = new CollabDataSource(collabSettings());
    const res = await firstValueFrom(
      ds.query(request([{ queryType: 'history', room: '$room', filter: ' $who ', at: '$__nope' }]))
    );
    expect(grafana.requests).toHaveLength(1);
    const sent = grafana.requests[0]!;
    expect(sent.url).toMatch(/^\/api\/ds\/query\?/);
    expect(sent.method).toBe('POST');
    const body = sent.data as { queries: Array<Record<string, unknown>>; from: string; to: string };
    expect(body.from).toBe('1000');
    expect(body.to).toBe('61000');
    expect(body.queries[0]).toMatchObject({
      refId: 'A',
      queryType: 'history',
      room: 'acme/roadmap',
      filter: 'ann',
      at: '$__nope',
      datasource: { uid: 'collab', type: 'collabblocks-collab-datasource' },
      maxDataPoints: 500,
    });
    expect(res.data[0]?.fields[0]?.values).toEqual(['acme/roadmap']);
    expect(grafana.streams).toHaveLength(0);
  });

  it('a live answer (meta.channel) becomes a Grafana Live stream whose packets replace the frame', async () => {
    const channel = 'ds/collab/metadata/presence/eyJyb29tIjoiYWNtZS9yb2FkbWFwIn0';
    answer = () => ({
      status: 200,
      data: { results: { A: { status: 200, frames: [frame('A', { channel })] } } },
    });
    const ds = new CollabDataSource(collabSettings());
    await firstValueFrom(ds.query(request([{ queryType: 'presence', room: 'acme/roadmap' }])));
    expect(grafana.streams).toHaveLength(1);
    const opts = grafana.streams[0]!;
    expect(opts.addr).toEqual({
      scope: 'ds',
      stream: 'collab',
      path: 'metadata/presence/eyJyb29tIjoiYWNtZS9yb2FkbWFwIn0',
    });
    expect(opts.buffer).toEqual({ maxLength: 10_000, action: StreamingFrameAction.Replace });
    // The snapshot QueryData answered is the stream's first frame.
    expect(opts.frame?.data?.values).toEqual([['acme/roadmap']]);
  });

  it('a streamed frame gets back the refId of its query (a shared channel’s packets carry another one)', async () => {
    const channel = 'ds/collab/metadata/tree/eyJyb29tIjoiYWNtZS9yb2FkbWFwIn0';
    answer = (_url, data) => {
      const refId = (data as { queries: Array<{ refId: string }> }).queries[0]!.refId;
      return {
        status: 200,
        data: { results: { [refId]: { status: 200, frames: [frame(refId, { channel })] } } },
      };
    };
    const ds = new CollabDataSource(collabSettings());
    const all = await firstValueFrom(
      ds.query(request([{ queryType: 'rooms' }, { queryType: 'tree', room: 'acme/roadmap' }])).pipe(toArray())
    );
    // The fake Live service answers every stream with a frame of refId 'A' (what RunStream sends).
    expect(all.flatMap((r) => r.data.map((f: { refId?: string }) => f.refId)).sort()).toEqual(['A', 'B']);
    expect(grafana.requests).toHaveLength(2);
  });

  it('a multi-value room fails with a readable error and is never sent; the other queries are', async () => {
    answer = () => ({ status: 200, data: { results: { B: { status: 200, frames: [frame('B')] } } } });
    const ds = new CollabDataSource(collabSettings());
    const all = await firstValueFrom(
      ds.query(request([{ queryType: 'presence', room: '$rooms' }, { queryType: 'rooms' }])).pipe(toArray())
    );
    const failed = all.find((r) => r.state === LoadingState.Error);
    expect(failed?.errors?.[0]?.message).toMatch(/room "\$rooms" has several values \(acme\/a, acme\/b\)/);
    const body = grafana.requests[0]?.data as { queries: Array<{ refId: string }> };
    expect(body.queries.map((q) => q.refId)).toEqual(['B']);
  });

  it('a backend error reaches the panel as the query error', async () => {
    answer = () => ({
      status: 207,
      data: { results: { A: { status: 400, error: 'room "x": must be <org>/<room>', frames: [] } } },
    });
    const ds = new CollabDataSource(collabSettings());
    const res = await firstValueFrom(ds.query(request([{ queryType: 'tree', room: 'x' }])));
    expect(res.errors?.[0]?.message).toContain('must be <org>/<room>');
  });

  it('variables and pickers read the backend `variables` resource (org interpolated)', async () => {
    answer = (url) =>
      url.endsWith('/resources/variables')
        ? { status: 200, data: [{ text: 'acme/roadmap', value: 'acme/roadmap' }] }
        : { status: 404, data: {} };
    const ds = new CollabDataSource(collabSettings());
    vars.org = 'acme';
    expect(await ds.metricFindQuery({ kind: 'rooms', org: '$org' })).toEqual([
      { text: 'acme/roadmap', value: 'acme/roadmap' },
    ]);
    expect(grafana.requests[0]).toMatchObject({
      url: '/api/datasources/uid/collab/resources/variables',
      method: 'GET',
      params: { kind: 'rooms', org: 'acme' },
    });
    answer = () => ({
      status: 502,
      data: { error: 'no pod answered: http://pod-a:1234: connection refused' },
    });
    await expect(ds.metricFindQuery({ kind: 'pods' })).rejects.toThrow('no pod answered: http://pod-a:1234');
  });

  it('the health check is the backend’s (CheckHealth through /health)', async () => {
    answer = (url) =>
      url.endsWith('/health')
        ? {
            status: 400,
            data: { status: 'ERROR', message: '1 of 2 pods failed: http://pod-b:1234: refused' },
          }
        : { status: 404, data: {} };
    const ds = new CollabDataSource(collabSettings());
    await expect(ds.testDatasource()).rejects.toMatchObject({
      status: 'error',
      message: '1 of 2 pods failed: http://pod-b:1234: refused',
    });
    answer = () => ({ status: 200, data: { status: 'OK', message: '2 pods OK' } });
    await expect(ds.testDatasource()).resolves.toEqual({ status: 'success', message: '2 pods OK' });
  });
});
