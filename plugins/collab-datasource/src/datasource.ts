/**
 * The collab datasource: streams rooms, presence, CRDT trees, updates,
 * traffic and metrics from every configured pod's inspect WebSocket, plus
 * one-shot history queries, variables, annotations and a health check.
 */
import { lastValueFrom, merge, Observable } from 'rxjs';
import {
  type AnnotationSupport,
  type DataQueryRequest,
  type DataQueryResponse,
  DataSourceApi,
  type DataSourceInstanceSettings,
  LoadingState,
  type MetricFindValue,
  type ScopedVars,
  type TestDataSourceResponse,
} from '@grafana/data';
import { config, getBackendSrv, getTemplateSrv, type TemplateSrv } from '@grafana/runtime';
import { FRAME_LIMITS, type CollabVariableQueryModel, type InspectScope } from '@collabblocks/protocol';

import { docHeatmapBucketMs } from './data/docHeatmap';
import { errorResponse, type RunContext } from './query/context';
import { REPLAY_TIMEOUT_MS } from './query/historyTree';
import { fetchRooms } from './query/oneShot';
import { prepareRun, runnerOf } from './query/runners';
import { PodPool } from './stream/pool';
import { browserSocketFactory, type SocketFactory } from './stream/socket';
import { HttpStatusError, type TokenFetcher, TokenSource } from './stream/tokens';
import { ANNOTATIONS_QUERY_TYPE, type CollabJsonData, type CollabQuery, QUERY_DEFAULTS } from './types';
import { runTestDatasource } from './testDatasource';
import { podUrlsOf } from './settings';
import { toVariableQuery, variableValues } from './variableQuery';
import { CollabVariableSupport } from './variables';

export type { CollabJsonData, CollabQuery, CollabSecureJsonData } from './types';
export { podUrlsOf } from './settings';

/** Token route paths (plugin.json `routes[].path`), appended to the datasource proxy URL. */
export const TOKEN_ROUTES: Record<InspectScope, string> = {
  content: 'inspect-token/content',
  metadata: 'inspect-token/metadata',
};

/** Test seams: a WebSocket implementation and the token fetcher (defaults: browser WebSocket, data proxy). */
export interface CollabDataSourceDeps {
  socketFactory?: SocketFactory;
  tokenFetcher?: TokenFetcher;
  /** Role override (default: config.bootData.user.orgRole). */
  orgRole?: string;
  lingerMs?: number;
  throttleMs?: number;
  oneShotTimeoutMs?: number;
  /** Deadline of a historyTree replay (default REPLAY_TIMEOUT_MS). */
  replayTimeoutMs?: number;
}

function userRole(): string {
  const role = (config.bootData?.user as { orgRole?: unknown } | undefined)?.orgRole;
  return typeof role === 'string' ? role : 'Viewer';
}

export class CollabDataSource extends DataSourceApi<CollabQuery, CollabJsonData> {
  readonly podUrls: string[];
  readonly pool: PodPool;
  readonly tokens: TokenSource;
  private readonly proxyUrl: string;
  private readonly deps: CollabDataSourceDeps;

  constructor(instanceSettings: DataSourceInstanceSettings<CollabJsonData>, deps: CollabDataSourceDeps = {}) {
    super(instanceSettings);
    this.deps = deps;
    this.proxyUrl = instanceSettings.url ?? '';
    this.podUrls = podUrlsOf(instanceSettings.jsonData);
    const role = deps.orgRole ?? userRole();
    const ttl = instanceSettings.jsonData?.tokenTtlSeconds;
    this.tokens = new TokenSource({
      fetch: deps.tokenFetcher ?? ((scope) => this.fetchToken(scope, ttl)),
      preferred: role === 'Editor' || role === 'Admin' ? 'content' : 'metadata',
    });
    this.pool = new PodPool({
      tokens: this.tokens.provider,
      socketFactory: deps.socketFactory ?? browserSocketFactory,
      lingerMs: deps.lingerMs ?? 1000,
    });
    this.annotations = this.annotationSupport();
    this.variables = new CollabVariableSupport(this);
  }

  override getDefaultQuery(): Partial<CollabQuery> {
    return { queryType: QUERY_DEFAULTS.queryType, gridSize: QUERY_DEFAULTS.gridSize };
  }

  override filterQuery(query: CollabQuery): boolean {
    return !query.hide;
  }

  /** One Observable per target, merged; each response carries the target's key. */
  query(request: DataQueryRequest<CollabQuery>): Observable<DataQueryResponse> {
    const targets = request.targets.filter((t) => !t.hide);
    if (targets.length === 0) {
      return new Observable((s) => {
        s.next({ data: [], state: LoadingState.Done });
        s.complete();
      });
    }
    return merge(...targets.map((t) => this.runTarget(t, request)));
  }

  private runTarget(t: CollabQuery, request: DataQueryRequest<CollabQuery>): Observable<DataQueryResponse> {
    const scopedVars: ScopedVars = request.scopedVars ?? {};
    const tpl = getTemplateSrv();
    const queryType: CollabQuery['queryType'] = t.queryType ?? QUERY_DEFAULTS.queryType;
    const room = interpolateSingle(tpl, t.room ?? '', scopedVars);
    const pod = interpolateSingle(tpl, t.pod ?? '', scopedVars);
    const fromMs = request.range?.from?.valueOf() ?? Date.now() - 3_600_000;
    const toMs = request.range?.to?.valueOf() ?? Date.now();
    const ctx: RunContext = {
      refId: t.refId,
      key: `${request.requestId}-${t.refId}`,
      room: room.value,
      pod: pod.value,
      conns: this.podUrls.map((u) => this.pool.get(u)),
      scope: () => this.tokens.currentScope,
      ...(request.maxDataPoints !== undefined ? { maxDataPoints: request.maxDataPoints } : {}),
      fromMs,
      toMs,
      gridSize: Math.max(1, Math.min(100, Math.floor(Number(t.gridSize ?? QUERY_DEFAULTS.gridSize)) || 20)),
      at: tpl.replace(t.at ?? '', scopedVars),
      through: tpl.replace(t.through ?? '', scopedVars),
      filter: tpl.replace(t.filter ?? '', scopedVars).trim(),
      rootPath: '',
      maxDepth: undefined,
      timeoutMs: this.deps.oneShotTimeoutMs ?? FRAME_LIMITS.oneShotTimeoutMs,
      replayTimeoutMs: this.deps.replayTimeoutMs ?? REPLAY_TIMEOUT_MS,
      throttleMs: this.deps.throttleMs ?? 250,
      heatmapMeasure: t.heatmapMeasure === 'edits' ? 'edits' : 'presence',
      heatmapBucketMs: docHeatmapBucketMs(t.bucketSeconds, fromMs, toMs),
    };
    const runner = runnerOf(queryType);
    if (!runner) return errorObservable(errorResponse(ctx, `unknown query type "${String(queryType)}"`));
    // A multi-value (or All) variable in a single-valued field: one query reads one room / one pod.
    if (pod.values) {
      return errorObservable(
        errorResponse(
          ctx,
          `pod "${t.pod ?? ''}" has several values (${listValues(pod.values)}): a query reads one pod or all of them — pick one value, or leave the field empty for every pod`
        )
      );
    }
    if (room.values) {
      return errorObservable(
        errorResponse(
          ctx,
          `room "${t.room ?? ''}" has several values (${listValues(room.values)}): use one room per query — pick one value, or repeat the panel by the variable (Panel options → Repeat options)`
        )
      );
    }
    const rootPath = runner.subtree ? interpolateSingle(tpl, t.rootPath ?? '', scopedVars) : null;
    if (rootPath?.values) {
      return errorObservable(
        errorResponse(
          ctx,
          `root path "${t.rootPath ?? ''}" has several values (${listValues(rootPath.values)}): use one subtree per query`
        )
      );
    }
    const depth: unknown = t.maxDepth;
    const problem = prepareRun(runner, ctx, {
      rootPath: rootPath?.value ?? '',
      maxDepth: typeof depth === 'string' ? tpl.replace(depth, scopedVars) : depth,
      presenceFields: t.presenceFields,
    });
    if (problem) return errorObservable(errorResponse(ctx, problem));
    return runner.run(ctx);
  }

  private annotationSupport(): AnnotationSupport<CollabQuery> {
    return {
      getDefaultQuery: () => ({ queryType: ANNOTATIONS_QUERY_TYPE }),
      prepareAnnotation: (anno) => {
        const target = (anno.target ?? {}) as Partial<CollabQuery>;
        return {
          ...anno,
          target: { refId: 'Anno', ...target, queryType: ANNOTATIONS_QUERY_TYPE } as CollabQuery,
        };
      },
      // Whatever the editor left in the target, an annotation query runs as an annotations stream.
      prepareQuery: (anno) => {
        const target = (anno.target ?? {}) as Partial<CollabQuery>;
        return { ...target, refId: target.refId ?? 'Anno', queryType: ANNOTATIONS_QUERY_TYPE } as CollabQuery;
      },
    };
  }

  /** POSTs to the scope's token route through the data proxy (the API key is injected server-side). */
  private async fetchToken(scope: InspectScope, ttlSeconds: number | undefined): Promise<unknown> {
    try {
      const res = await lastValueFrom(
        getBackendSrv().fetch<unknown>({
          url: `${this.proxyUrl}/${TOKEN_ROUTES[scope]}`,
          method: 'POST',
          data: ttlSeconds ? { ttlSeconds } : {},
          showErrorAlert: false,
          showSuccessAlert: false,
        })
      );
      return res.data;
    } catch (err) {
      const e = err as {
        status?: unknown;
        data?: { error?: unknown; message?: unknown };
        statusText?: unknown;
      };
      const status = typeof e?.status === 'number' ? e.status : 0;
      const detail =
        e?.data?.error ?? e?.data?.message ?? e?.statusText ?? (err as Error)?.message ?? 'request failed';
      throw new HttpStatusError(
        status,
        `token (${scope}) HTTP ${status || 'error'}: ${String(detail).slice(0, 200)}`
      );
    }
  }

  override async testDatasource(): Promise<TestDataSourceResponse> {
    return runTestDatasource(this);
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
    const results = await Promise.allSettled(
      this.podUrls.map((u) => {
        const ac = new AbortController();
        return fetchRooms(this.pool.get(u), Date.now() + FRAME_LIMITS.oneShotTimeoutMs, ac.signal);
      })
    );
    const ok = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    if (ok.length === 0 && results.length > 0) {
      const first = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      throw new Error(`no pod answered: ${(first?.reason as Error)?.message ?? 'unknown error'}`);
    }
    return variableValues(q.kind, ok, org);
  }

  /** Closes every pod socket (called when the instance is replaced). */
  dispose(): void {
    this.pool.dispose();
  }
}

/**
 * Interpolates a single-valued field. A multi-value or All variable would come out as `{a,b}` (the
 * default glob format) and then fail parsing with a puzzling message; the values are reported instead.
 */
export function interpolateSingle(
  tpl: Pick<TemplateSrv, 'replace'>,
  text: string,
  scopedVars: ScopedVars
): { value: string; values: string[] | null } {
  let values: string[] | null = null;
  const value = tpl
    .replace(text, scopedVars, (v: unknown) => {
      if (Array.isArray(v)) {
        const list = v.map((x) => String(x));
        if (list.length > 1) values = [...(values ?? []), ...list];
        return list.join(',');
      }
      return v === undefined || v === null ? '' : String(v);
    })
    .trim();
  // A template service that ignores the format function (or a value typed as a glob) still gives `{a,b}`.
  if (!values) {
    const glob = /^\{([^{}]*,[^{}]*)\}$/.exec(value);
    if (glob) values = (glob[1] ?? '').split(',');
  }
  return { value, values };
}

function listValues(values: string[]): string {
  const shown = values.slice(0, 5).join(', ');
  return values.length > 5 ? `${shown}, … ${values.length} in all` : shown;
}

function errorObservable(res: DataQueryResponse): Observable<DataQueryResponse> {
  return new Observable((s) => {
    s.next(res);
    s.complete();
  });
}
