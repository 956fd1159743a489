/**
 * Test driver of the runner table (tests only, never bundled): runs a DataQueryRequest through
 * `runners.ts` on a PodPool in this process, the way the backend's QueryData / RunStream do, so the runners,
 * pod client and frame builders are tested against fake and real pods without the gRPC layer. The datasource
 * itself (`../datasource.ts`) only talks to Grafana (`/api/ds/query`, resources, health, Grafana Live).
 * Variables and the health check here call the same shared modules the backend's resources / health call.
 */
import { merge, Observable } from 'rxjs';
import {
  type DataQueryRequest,
  type DataQueryResponse,
  type DataSourceInstanceSettings,
  LoadingState,
  type MetricFindValue,
  type ScopedVars,
  type TestDataSourceResponse,
} from '@grafana/data';
import { config, getTemplateSrv } from '@grafana/runtime';
import { FRAME_LIMITS, type CollabVariableQueryModel } from '@collabblocks/protocol';

import { docHeatmapBucketMs } from '../data/docHeatmap';
import { errorResponse, type RunContext } from './context';
import { REPLAY_TIMEOUT_MS } from './historyTree';
import { deadlineIn, fetchRooms } from './oneShot';
import { prepareRun, runnerOf } from './runners';
import { PodPool } from '../stream/pool';
import { browserSocketFactory, type SocketFactory } from '../stream/socket';
import { type TokenFetcher, TokenSource } from '../stream/tokens';
import { interpolateQuery } from './interpolate';
import { type CollabJsonData, type CollabQuery, QUERY_DEFAULTS } from '../types';
import { runTestDatasource } from '../testDatasource';
import { podUrlsOf } from '../settings';
import { toVariableQuery, variableValues } from '../variableQuery';

/** A WebSocket implementation (default: the global WebSocket) and the token fetcher (a stand-in of the backend's minting). */
export interface RunnerDriverDeps {
  socketFactory?: SocketFactory;
  tokenFetcher: TokenFetcher;
  /** Role (default: config.bootData.user.orgRole). */
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

export class RunnerDriver {
  readonly uid: string;
  readonly podUrls: string[];
  readonly pool: PodPool;
  readonly tokens: TokenSource;
  private readonly deps: RunnerDriverDeps;

  constructor(instanceSettings: DataSourceInstanceSettings<CollabJsonData>, deps: RunnerDriverDeps) {
    this.uid = instanceSettings.uid;
    this.deps = deps;
    this.podUrls = podUrlsOf(instanceSettings.jsonData);
    const role = deps.orgRole ?? userRole();
    this.tokens = new TokenSource({
      fetch: deps.tokenFetcher,
      preferred: role === 'Editor' || role === 'Admin' ? 'content' : 'metadata',
    });
    this.pool = new PodPool({
      tokens: this.tokens.provider,
      socketFactory: deps.socketFactory ?? browserSocketFactory,
      lingerMs: deps.lingerMs ?? 1000,
    });
  }

  getDefaultQuery(): Partial<CollabQuery> {
    return { queryType: QUERY_DEFAULTS.queryType, gridSize: QUERY_DEFAULTS.gridSize };
  }

  filterQuery(query: CollabQuery): boolean {
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

  private runTarget(raw: CollabQuery, request: DataQueryRequest<CollabQuery>): Observable<DataQueryResponse> {
    const scopedVars: ScopedVars = request.scopedVars ?? {};
    const queryType: CollabQuery['queryType'] = raw.queryType ?? QUERY_DEFAULTS.queryType;
    const key = `${request.requestId}-${raw.refId}`;
    const runner = runnerOf(queryType);
    if (!runner)
      return errorObservable(
        errorResponse({ key, refId: raw.refId }, `unknown query type "${String(queryType)}"`)
      );
    const interpolated = interpolateQuery(getTemplateSrv(), raw, scopedVars);
    if (!interpolated.ok)
      return errorObservable(errorResponse({ key, refId: raw.refId }, interpolated.error));
    const t = interpolated.query;
    const fromMs = request.range?.from?.valueOf() ?? Date.now() - 3_600_000;
    const toMs = request.range?.to?.valueOf() ?? Date.now();
    const ctx: RunContext = {
      refId: t.refId,
      key,
      room: t.room ?? '',
      pod: t.pod ?? '',
      conns: this.podUrls.map((u) => this.pool.get(u)),
      scope: () => this.tokens.currentScope,
      ...(request.maxDataPoints !== undefined ? { maxDataPoints: request.maxDataPoints } : {}),
      fromMs,
      toMs,
      gridSize: Math.max(1, Math.min(100, Math.floor(Number(t.gridSize ?? QUERY_DEFAULTS.gridSize)) || 20)),
      at: t.at ?? '',
      through: t.through ?? '',
      filter: t.filter ?? '',
      rootPath: '',
      maxDepth: undefined,
      timeoutMs: this.deps.oneShotTimeoutMs ?? FRAME_LIMITS.oneShotTimeoutMs,
      replayTimeoutMs: this.deps.replayTimeoutMs ?? REPLAY_TIMEOUT_MS,
      throttleMs: this.deps.throttleMs ?? 250,
      heatmapMeasure: t.heatmapMeasure === 'edits' ? 'edits' : 'presence',
      heatmapBucketMs: docHeatmapBucketMs(t.bucketSeconds, fromMs, toMs),
    };
    const problem = prepareRun(runner, ctx, {
      rootPath: t.rootPath ?? '',
      maxDepth: t.maxDepth,
      presenceFields: t.presenceFields,
    });
    if (problem) return errorObservable(errorResponse(ctx, problem));
    return runner.run(ctx);
  }

  async testDatasource(): Promise<TestDataSourceResponse> {
    return runTestDatasource(this);
  }

  /** Values of a variable query (any stored shape, see toVariableQuery); also the editors' suggestions. */
  async metricFindQuery(
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
        return fetchRooms(this.pool.get(u), deadlineIn(FRAME_LIMITS.oneShotTimeoutMs), ac.signal);
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

function errorObservable(res: DataQueryResponse): Observable<DataQueryResponse> {
  return new Observable((s) => {
    s.next(res);
    s.complete();
  });
}
