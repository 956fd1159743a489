/**
 * The collab datasource, a backend datasource: the browser talks only to Grafana. One-shot queries (rooms,
 * history, tree at an instant) are answered by the plugin's backend through `/api/ds/query`; a live query is
 * answered with a snapshot frame whose `meta.channel` is `ds/<uid>/<path>`, which Grafana's runtime turns
 * into a Grafana Live stream (`RunStream` in the backend: one upstream inspect subscription per channel,
 * shared by every viewer). Variables and the editors' pickers read the backend's `variables` resource, the
 * health check is the backend's CheckHealth. The API key and inspect tokens never reach the browser.
 */
import { map, merge, type Observable, of } from 'rxjs';
import {
  type AnnotationSupport,
  type DataFrame,
  type DataQueryRequest,
  type DataQueryResponse,
  type DataSourceInstanceSettings,
  LoadingState,
  type MetricFindValue,
  type ScopedVars,
  StreamingFrameAction,
} from '@grafana/data';
import { DataSourceWithBackend, getTemplateSrv, type StreamOptionsProvider } from '@grafana/runtime';
import { FRAME_LIMITS, type CollabVariableQueryModel } from '@collabblocks/protocol';

import { errorResponse } from './query/context';
import { interpolateQuery } from './query/interpolate';
import { ANNOTATIONS_QUERY_TYPE, type CollabJsonData, type CollabQuery, QUERY_DEFAULTS } from './types';
import { toVariableQuery } from './variableQuery';
import { CollabVariableSupport } from './variables';

export type { CollabJsonData, CollabQuery, CollabSecureJsonData } from './types';
export { podUrlsOf } from './settings';

/** The backend resource the variables and the editors' pickers read (backend/src/resources/). */
export const VARIABLES_RESOURCE = 'variables';

/**
 * How Grafana's runtime buffers a live channel's packets. The backend sends every emission of a live runner as
 * a whole frame (schema and data: the runner's own bounded window), so each packet REPLACES the frame; no
 * time-based trimming (a presence row's `lastSeen` is old for an idle user who is still there).
 */
export const collabStreamOptions: StreamOptionsProvider<CollabQuery> = (request) => ({
  maxLength: Math.max(request.maxDataPoints ?? FRAME_LIMITS.defaultStreamRows, FRAME_LIMITS.maxRows),
  action: StreamingFrameAction.Replace,
});

export class CollabDataSource extends DataSourceWithBackend<CollabQuery, CollabJsonData> {
  constructor(instanceSettings: DataSourceInstanceSettings<CollabJsonData>) {
    super(instanceSettings);
    this.streamOptionsProvider = collabStreamOptions;
    this.annotations = annotationSupport();
    this.variables = new CollabVariableSupport(this);
  }

  override getDefaultQuery(): Partial<CollabQuery> {
    return { queryType: QUERY_DEFAULTS.queryType, gridSize: QUERY_DEFAULTS.gridSize };
  }

  override filterQuery(query: CollabQuery): boolean {
    return !query.hide;
  }

  /**
   * Queries whose template variables cannot make one query (a multi-value room, pod or root path) fail here
   * with a message saying what to do. Each other query is one `/api/ds/query` request: a live query's frames
   * then come from its Grafana Live channel, and a channel's packets carry no refId of this panel (the channel
   * is shared by every viewer of the same query, whatever their refId) — the runtime's streaming frame takes
   * the packet's — so each response is given back the refId of the query it answers.
   */
  override query(request: DataQueryRequest<CollabQuery>): Observable<DataQueryResponse> {
    const targets = request.targets.filter((t) => !t.hide);
    const scopedVars: ScopedVars = request.scopedVars ?? {};
    const tpl = getTemplateSrv();
    const streams: Array<Observable<DataQueryResponse>> = [];
    for (const t of targets) {
      const q = withDefaults(t);
      const r = interpolateQuery(tpl, q, scopedVars);
      if (!r.ok) {
        streams.push(of(errorResponse({ key: `${request.requestId}-${t.refId}`, refId: t.refId }, r.error)));
        continue;
      }
      streams.push(
        super
          .query({ ...request, targets: [q], requestId: `${request.requestId}-${t.refId}` })
          .pipe(map((res) => withRefId(res, t.refId, `${request.requestId}-${t.refId}`)))
      );
    }
    if (streams.length === 0) return of({ data: [], state: LoadingState.Done });
    return streams.length === 1 ? streams[0]! : merge(...streams);
  }

  /** Every text field's variables replaced (also Explore's and alerting's path to the backend). */
  override applyTemplateVariables(query: CollabQuery, scopedVars: ScopedVars): CollabQuery {
    const r = interpolateQuery(getTemplateSrv(), withDefaults(query), scopedVars);
    return r.ok ? r.query : withDefaults(query);
  }

  /** Values of a variable query (any stored shape, see toVariableQuery); also the editors' suggestions. */
  override async metricFindQuery(
    query: CollabVariableQueryModel | string,
    options?: { scopedVars?: ScopedVars }
  ): Promise<MetricFindValue[]> {
    const q = toVariableQuery(query);
    const org = getTemplateSrv()
      .replace(q.org ?? '', options?.scopedVars ?? {})
      .trim();
    try {
      const values: unknown = await this.getResource(VARIABLES_RESOURCE, {
        kind: q.kind,
        ...(org ? { org } : {}),
      });
      return Array.isArray(values) ? (values as MetricFindValue[]) : [];
    } catch (err) {
      throw new Error(resourceError(err));
    }
  }
}

/** The stored query with the defaults the backend would apply (dashboards saved without a query type). */
function withDefaults(q: CollabQuery): CollabQuery {
  return { ...q, queryType: q.queryType ?? QUERY_DEFAULTS.queryType };
}

/**
 * The response with every frame under `refId` (a streamed frame has the refId its channel's packets carry),
 * keyed per query when the runtime gave it no key (a stream's responses have their own).
 */
function withRefId(res: DataQueryResponse, refId: string, key: string): DataQueryResponse {
  const data = (res.data as DataFrame[]).map((f) => (f.refId === refId ? f : { ...f, refId }));
  return { ...res, key: res.key ?? key, data };
}

/** The backend's `{ error }` of a failed resource request (backendSrv rejects with the response). */
function resourceError(err: unknown): string {
  const e = err as { status?: unknown; data?: { error?: unknown; message?: unknown }; message?: unknown };
  const detail = e?.data?.error ?? e?.data?.message ?? e?.message ?? 'request failed';
  return String(detail).slice(0, 300);
}

/** Annotations: the live `annotations` query kind, whatever the editor left in the target. */
function annotationSupport(): AnnotationSupport<CollabQuery> {
  return {
    getDefaultQuery: () => ({ queryType: ANNOTATIONS_QUERY_TYPE }),
    prepareAnnotation: (anno) => {
      const target = (anno.target ?? {}) as Partial<CollabQuery>;
      return {
        ...anno,
        target: { refId: 'Anno', ...target, queryType: ANNOTATIONS_QUERY_TYPE } as CollabQuery,
      };
    },
    prepareQuery: (anno) => {
      const target = (anno.target ?? {}) as Partial<CollabQuery>;
      return { ...target, refId: target.refId ?? 'Anno', queryType: ANNOTATIONS_QUERY_TYPE } as CollabQuery;
    },
  };
}
