/** Test helpers of the datasource (the browser side): its instance settings and Grafana's services, recorded. */
import { Observable, of } from 'rxjs';
import type { DataQueryResponse, DataSourceInstanceSettings } from '@grafana/data';
import {
  type BackendSrv,
  type BackendSrvRequest,
  type FetchResponse,
  type GrafanaLiveSrv,
  type LiveDataStreamOptions,
  setBackendSrv,
  setGrafanaLiveSrv,
} from '@grafana/runtime';

import type { CollabJsonData } from './types';

export function collabSettings(): DataSourceInstanceSettings<CollabJsonData> {
  return {
    id: 1,
    uid: 'collab',
    type: 'collabblocks-collab-datasource',
    name: 'Collab',
    access: 'proxy',
    readOnly: false,
    jsonData: { podUrls: ['http://pod-a:1234'] },
    meta: {
      id: 'collabblocks-collab-datasource',
      info: { version: '0' },
    } as DataSourceInstanceSettings['meta'],
  } as DataSourceInstanceSettings<CollabJsonData>;
}

/** What a fake Grafana answers a request: a status and a JSON body. */
export type Answer = { status: number; data: unknown };

/** Installs a backendSrv whose `fetch` answers by `answer` and records every request; and a Live service. */
export function fakeGrafana(answer: (req: BackendSrvRequest) => Answer) {
  const requests: BackendSrvRequest[] = [];
  const streams: LiveDataStreamOptions[] = [];
  const fetch = (req: BackendSrvRequest): Observable<FetchResponse<unknown>> => {
    requests.push(req);
    const a = answer(req);
    return new Observable((s) => {
      const res = {
        data: a.data,
        status: a.status,
        statusText: String(a.status),
        ok: a.status < 300,
        headers: new Headers(),
        redirected: false,
        type: 'basic',
        url: req.url,
        config: req,
      } as FetchResponse<unknown>;
      if (a.status >= 400) s.error(res);
      else {
        s.next(res);
        s.complete();
      }
    });
  };
  setBackendSrv({ fetch } as unknown as BackendSrv);
  setGrafanaLiveSrv({
    getDataStream: (opts: LiveDataStreamOptions) => {
      streams.push(opts);
      // What a channel's packets make: a streaming frame with the refId RunStream put in them ('A').
      return of<DataQueryResponse>({ data: [{ refId: 'A', fields: [], length: 0 }], key: 'live' });
    },
  } as unknown as GrafanaLiveSrv);
  return { requests, streams };
}
