// Skeleton datasource: a real, minimal DataSourceApi so the build and the E2E harness have something to load.
// The datasource engineers replace it with the pod client. It bundles @collabblocks/protocol.
import { lastValueFrom, Observable } from 'rxjs';
import {
  type DataQuery,
  type DataQueryRequest,
  type DataQueryResponse,
  DataSourceApi,
  type DataSourceInstanceSettings,
  type DataSourceJsonData,
  FieldType,
  LoadingState,
  type MetricFindValue,
  type TestDataSourceResponse,
  createDataFrame,
} from '@grafana/data';
import { getBackendSrv, getTemplateSrv } from '@grafana/runtime';
import {
  type CollabQueryModel,
  type CollabVariableQueryModel,
  COLLAB_QUERY_TYPES,
} from '@collabblocks/protocol';

export type CollabQuery = CollabQueryModel & DataQuery;

export interface CollabJsonData extends DataSourceJsonData {
  /** Base URL of a collab pod, used by the `pod` proxy route in plugin.json. */
  podUrl?: string;
}

export interface CollabSecureJsonData {
  apiKey?: string;
}

/** Emission period of the skeleton's live stream. */
export const SKELETON_TICK_MS = 1000;

export class CollabDataSource extends DataSourceApi<CollabQuery, CollabJsonData> {
  private readonly proxyUrl: string;

  constructor(instanceSettings: DataSourceInstanceSettings<CollabJsonData>) {
    super(instanceSettings);
    this.proxyUrl = instanceSettings.url ?? '';
    // Annotations are served through query().
    this.annotations = {};
  }

  override getDefaultQuery(): Partial<CollabQuery> {
    return { queryType: COLLAB_QUERY_TYPES[0] };
  }

  /** A live stream: one frame per target now, then every SKELETON_TICK_MS until unsubscribed. */
  query(request: DataQueryRequest<CollabQuery>): Observable<DataQueryResponse> {
    const targets = request.targets.filter((t) => !t.hide);
    const templateSrv = getTemplateSrv();
    return new Observable<DataQueryResponse>((subscriber) => {
      let tick = 0;
      const emit = () => {
        const now = Date.now();
        subscriber.next({
          key: request.requestId,
          state: LoadingState.Streaming,
          data: targets.map((t) =>
            createDataFrame({
              refId: t.refId,
              name: t.queryType,
              fields: [
                { name: 'time', type: FieldType.time, values: [now] },
                { name: 'tick', type: FieldType.number, values: [tick] },
                {
                  name: 'room',
                  type: FieldType.string,
                  values: [templateSrv.replace(t.room ?? '', request.scopedVars)],
                },
              ],
            })
          ),
        });
        tick += 1;
      };
      emit();
      const timer = setInterval(emit, SKELETON_TICK_MS);
      return () => clearInterval(timer);
    });
  }

  override async testDatasource(): Promise<TestDataSourceResponse> {
    try {
      const res = await lastValueFrom(
        getBackendSrv().fetch<unknown>({ url: `${this.proxyUrl}/pod/healthz` })
      );
      return { status: 'success', message: `Pod reachable (HTTP ${res.status})` };
    } catch (err) {
      const status =
        typeof err === 'object' && err !== null && 'status' in err ? String(err.status) : 'error';
      return { status: 'error', message: `Pod not reachable (${status})` };
    }
  }

  override async metricFindQuery(query: CollabVariableQueryModel): Promise<MetricFindValue[]> {
    const org = getTemplateSrv().replace(query.org ?? '');
    return [{ text: query.kind }, ...(org ? [{ text: org }] : [])];
  }
}
