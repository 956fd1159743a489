/** Test helpers: the runner driver on real `ws` sockets with a fake token fetcher, and request builders. */
import { WebSocket } from 'ws';
import { firstValueFrom, filter, type Observable } from 'rxjs';
import {
  dateTime,
  type DataQueryRequest,
  type DataQueryResponse,
  type DataSourceInstanceSettings,
  LoadingState,
} from '@grafana/data';

import type { SocketLike } from '../stream/socket';
import type { CollabJsonData, CollabQuery } from '../types';
import { RunnerDriver, type RunnerDriverDeps } from './runnerDriver.testutil';

export function makeDs(urls: string[], extra: Partial<RunnerDriverDeps> = {}): RunnerDriver {
  const settings = {
    id: 1,
    uid: 'collab',
    type: 'collabblocks-collab-datasource',
    name: 'Collab',
    url: '/api/datasources/proxy/uid/collab',
    access: 'proxy',
    readOnly: false,
    jsonData: { podUrls: urls, tokenUrl: urls[0] },
    meta: {} as DataSourceInstanceSettings['meta'],
  } as DataSourceInstanceSettings<CollabJsonData>;
  return new RunnerDriver(settings, {
    orgRole: 'Viewer',
    lingerMs: 0,
    throttleMs: 20,
    socketFactory: (url) => new WebSocket(url) as unknown as SocketLike,
    tokenFetcher: async (scope) => ({
      token: `${scope}-tok`,
      expiresAt: Date.now() + 60_000,
      scope,
      org: 'acme',
    }),
    ...extra,
  });
}

export function req(
  targets: Array<Partial<CollabQuery>>,
  maxDataPoints?: number
): DataQueryRequest<CollabQuery> {
  return {
    requestId: 'r1',
    interval: '1s',
    intervalMs: 1000,
    ...(maxDataPoints !== undefined ? { maxDataPoints } : {}),
    range: { from: dateTime(0), to: dateTime(3_600_000), raw: { from: 'now-1h', to: 'now' } },
    scopedVars: {},
    targets: targets.map(
      (t, i) => ({ refId: String.fromCharCode(65 + i), queryType: 'rooms', ...t }) as CollabQuery
    ),
    timezone: 'utc',
    app: 'dashboard',
    startTime: Date.now(),
  };
}

export const settled = (o: Observable<DataQueryResponse>) =>
  firstValueFrom(o.pipe(filter((r) => r.state === LoadingState.Done || r.state === LoadingState.Error)));

/** The non-fatal notices of a response (`meta.notices` of its frames). */
export const noticesOf = (res: DataQueryResponse): Array<{ severity: string; text: string }> =>
  (res.data as Array<{ meta?: { notices?: Array<{ severity: string; text: string }> } }>).flatMap(
    (f) => f.meta?.notices ?? []
  );
