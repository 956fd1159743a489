// Instantiates datasource plugins like Grafana's DatasourceSrv does and drives them: query() subscriptions,
// testDatasource, metricFindQuery, annotations, and the ConfigEditor / QueryEditor components.
import { type ComponentType } from 'react';
import { filter, firstValueFrom, from, isObservable, type Observable, type Subscription } from 'rxjs';
import {
  CoreApp,
  type DataQuery,
  type DataQueryRequest,
  type DataQueryResponse,
  type DataSourceApi,
  type DataSourceInstanceSettings,
  type DataSourcePluginMeta,
  DataSourcePlugin,
  type DataSourceSettings,
  FieldType,
  LoadingState,
  toDataFrame,
  VariableSupportType,
} from '@grafana/data';

import type {
  DatasourceInstanceInfo,
  FrameJSON,
  QueryOptions,
  QueryStatus,
  ThemeMode,
} from '../shared/types.js';
import { hostConfig } from './boot.js';
import { emissionFromResponse, frameToJSON, timeRangeFromSpec } from './frames.js';
import { createMount } from './mounts.js';
import type { HarnessDataSourceSrv, HarnessTemplateSrv } from './services.js';
import { importPluginModule } from './systemjs.js';
import { errorMessage } from '@collabblocks/protocol';

const MAX_EMISSIONS = 2000;

function toObservable(
  result: Observable<DataQueryResponse> | Promise<DataQueryResponse>
): Observable<DataQueryResponse> {
  return isObservable(result) ? result : from(result);
}

interface RunningQuery {
  status: QueryStatus;
  /** Emissions dropped from the front of the bounded buffer. */
  dropped: number;
  subscription?: Subscription;
  startedAt: number;
}

const queries = new Map<string, RunningQuery>();
let querySeq = 0;
let dsSeq = 0;

async function loadDataSourcePlugin(pluginId: string): Promise<DataSourcePlugin<DataSourceApi>> {
  const meta = hostConfig.plugins[pluginId];
  if (!meta) throw new Error(`plugin ${pluginId} is not built or not found by the host server`);
  if (meta.type !== 'datasource') throw new Error(`plugin ${pluginId} is a ${meta.type}, not a datasource`);
  const mod = await importPluginModule(pluginId);
  const plugin = mod.plugin;
  if (!(plugin instanceof DataSourcePlugin)) {
    throw new Error(
      `${pluginId}/module.js does not export \`plugin\` as a DataSourcePlugin of the host's @grafana/data`
    );
  }
  return plugin;
}

function pluginMeta(pluginId: string): DataSourcePluginMeta {
  const meta = hostConfig.plugins[pluginId];
  return {
    ...(meta as unknown as DataSourcePluginMeta),
    module: `public/plugins/${pluginId}/module.js`,
    baseUrl: `public/plugins/${pluginId}`,
  };
}

export class DatasourceDriver {
  private readonly editorState = new Map<
    string,
    { options?: DataSourceSettings; queries: DataQuery[]; runs: number }
  >();

  constructor(
    private readonly dsSrv: HarnessDataSourceSrv,
    private readonly templateSrv: HarnessTemplateSrv
  ) {}

  private registered(uid: string) {
    const found = this.dsSrv.byUid.get(uid);
    if (!found) throw new Error(`no datasource ${uid}; call createDatasource first`);
    return found;
  }

  async create(info: DatasourceInstanceInfo): Promise<{ uid: string; meta: { id: string; name: string } }> {
    const plugin = await loadDataSourcePlugin(info.type);
    const meta = pluginMeta(info.type);
    plugin.meta = meta;
    dsSeq += 1;
    const settings: DataSourceInstanceSettings = {
      id: dsSeq,
      uid: info.uid,
      type: info.type,
      name: info.name,
      url: info.url,
      access: 'proxy',
      readOnly: false,
      jsonData: info.jsonData,
      meta,
    };
    const Ctor = plugin.DataSourceClass as unknown as new (s: DataSourceInstanceSettings) => DataSourceApi;
    const instance = new Ctor(settings);
    // Grafana's DatasourceSrv attaches these after construction.
    instance.components = plugin.components;
    instance.meta = meta;
    this.dsSrv.byUid.set(info.uid, { instance, settings });
    this.settingsFor.set(info.uid, info);
    return { uid: info.uid, meta: { id: meta.id, name: meta.name } };
  }

  private readonly settingsFor = new Map<string, DatasourceInstanceInfo>();

  private request(uid: string, targets: DataQuery[], opts: QueryOptions): DataQueryRequest<DataQuery> {
    const { instance, settings } = this.registered(uid);
    const range = timeRangeFromSpec(opts.range);
    this.templateSrv.updateTimeRange(range);
    querySeq += 1;
    const intervalMs = opts.intervalMs ?? 1000;
    return {
      requestId: `harness-q${querySeq}`,
      interval: `${intervalMs / 1000}s`,
      intervalMs,
      maxDataPoints: opts.maxDataPoints ?? 1000,
      range,
      rangeRaw: range.raw,
      scopedVars: (opts.scopedVars ?? {}) as DataQueryRequest['scopedVars'],
      targets: targets.map((t) => ({
        ...(instance.getDefaultQuery?.(CoreApp.Dashboard) ?? {}),
        ...t,
        datasource: { type: settings.type, uid: settings.uid },
      })) as DataQuery[],
      timezone: opts.timezone ?? 'utc',
      app: opts.app ?? 'dashboard',
      startTime: Date.now(),
    };
  }

  startQuery(
    uid: string,
    targets: DataQuery[],
    opts: QueryOptions,
    onResponse?: (res: DataQueryResponse) => void
  ): string {
    const { instance } = this.registered(uid);
    const req = this.request(uid, targets, opts);
    const id = req.requestId;
    const startedAt = Date.now();
    const status: QueryStatus = { id, emissions: [], completed: false, unsubscribed: false };
    const running: RunningQuery = { status, startedAt, dropped: 0 };
    queries.set(id, running);
    const pending = Promise.resolve().then(() => {
      if (status.unsubscribed) return;
      running.subscription = toObservable(instance.query(req)).subscribe({
        next: (res) => {
          onResponse?.(res);
          status.emissions.push(emissionFromResponse(res, startedAt));
          if (status.emissions.length > MAX_EMISSIONS) {
            running.dropped += status.emissions.length - MAX_EMISSIONS;
            status.emissions.splice(0, status.emissions.length - MAX_EMISSIONS);
          }
        },
        error: (err: unknown) => {
          status.error = err instanceof Error ? err.message : JSON.stringify(err);
          status.completed = true;
        },
        complete: () => {
          status.completed = true;
        },
      });
    });
    pending.catch((err: unknown) => {
      status.error = errorMessage(err);
      status.completed = true;
    });
    return id;
  }

  queryStatus(id: string, sinceIndex = 0): QueryStatus {
    const running = queries.get(id);
    if (!running) throw new Error(`no query ${id}`);
    // sinceIndex counts every emission ever received; the buffer keeps the last MAX_EMISSIONS.
    return {
      ...running.status,
      total: running.dropped + running.status.emissions.length,
      emissions: running.status.emissions.slice(Math.max(0, sinceIndex - running.dropped)),
    };
  }

  stopQuery(id: string): QueryStatus {
    const running = queries.get(id);
    if (!running) throw new Error(`no query ${id}`);
    running.status.unsubscribed = true;
    running.subscription?.unsubscribe();
    return this.queryStatus(id);
  }

  stopAllQueries(): void {
    for (const id of queries.keys()) this.stopQuery(id);
  }

  /**
   * As Grafana's "Save & test": a rejection is the failed result (DataSourceWithBackend rejects with
   * `{ status, message, error: HealthCheckError }`; others throw an Error or a fetch error).
   */
  async testDatasource(uid: string): Promise<unknown> {
    const { instance } = this.registered(uid);
    try {
      return JSON.parse(JSON.stringify(await instance.testDatasource())) as unknown;
    } catch (err) {
      const e = err as { message?: unknown; error?: { message?: unknown }; data?: { message?: unknown } };
      const message = e?.error?.message ?? e?.data?.message ?? e?.message ?? errorMessage(err);
      return { status: 'error', message: String(message) };
    }
  }

  async metricFindQuery(uid: string, query: unknown, opts: QueryOptions): Promise<unknown> {
    const { instance } = this.registered(uid);
    if (!instance.metricFindQuery) throw new Error(`${uid} does not implement metricFindQuery`);
    const range = timeRangeFromSpec(opts.range);
    const values = await instance.metricFindQuery(query, { range, scopedVars: opts.scopedVars ?? {} });
    return JSON.parse(JSON.stringify(values)) as unknown;
  }

  /**
   * Runs a query variable like Grafana's variable runner does: with custom variable support
   * (`instance.variables`, type custom) the variable's stored query — any shape, as saved — is the one target of a
   * request to `variables.query()`, and the values are read from the first non-loading response (a `text` field,
   * else the first string field; `value` else the text; or MetricFindValue objects); without `variables`,
   * `metricFindQuery(query)` (legacy). A response error is returned as `error`.
   */
  async runVariableQuery(
    uid: string,
    query: unknown,
    opts: QueryOptions
  ): Promise<{ support: string; values: Array<{ text: string; value: string }>; error?: string }> {
    const { instance } = this.registered(uid);
    const support = instance.variables;
    if (!support) {
      const values = (await this.metricFindQuery(uid, query, opts)) as Array<{
        text: string;
        value?: unknown;
      }>;
      return {
        support: 'legacy',
        values: values.map((v) => ({ text: v.text, value: String(v.value ?? v.text) })),
      };
    }
    if (support.getType() !== VariableSupportType.Custom || !('query' in support) || !('editor' in support)) {
      throw new Error(
        `${uid}: the harness runs custom and legacy variable support only, not ${support.getType()}`
      );
    }
    const range = timeRangeFromSpec(opts.range);
    this.templateSrv.updateTimeRange(range);
    querySeq += 1;
    const request = {
      requestId: `harness-var${querySeq}`,
      interval: '',
      intervalMs: 0,
      range,
      rangeRaw: range.raw,
      scopedVars: (opts.scopedVars ?? {}) as DataQueryRequest['scopedVars'],
      targets: [query as DataQuery],
      timezone: opts.timezone ?? 'utc',
      app: 'dashboard',
      startTime: Date.now(),
    } as DataQueryRequest<DataQuery>;
    const res = await firstValueFrom(
      toObservable(support.query(request)).pipe(filter((r) => r.state !== LoadingState.Loading))
    );
    const error = res.error?.message ?? res.errors?.[0]?.message;
    const values: Array<{ text: string; value: string }> = [];
    for (const item of (res.data ?? []) as unknown[]) {
      if (item && typeof item === 'object' && 'fields' in item) {
        const frame = toDataFrame(item);
        const text =
          frame.fields.find((f) => f.name.toLowerCase() === 'text') ??
          frame.fields.find((f) => f.type === FieldType.string);
        const value = frame.fields.find((f) => f.name.toLowerCase() === 'value') ?? text;
        for (let i = 0; i < frame.length; i++) {
          values.push({ text: String(text?.values[i]), value: String(value?.values[i]) });
        }
      } else if (item && typeof item === 'object' && 'text' in item) {
        const v = item as { text: unknown; value?: unknown };
        values.push({ text: String(v.text), value: String(v.value ?? v.text) });
      }
    }
    return { support: support.getType(), values, ...(error ? { error } : {}) };
  }

  /**
   * Runs an annotation query like Grafana's dashboard does for datasources with `annotations` support:
   * prepareQuery → query() → first non-loading response → processEvents (if defined).
   */
  async runAnnotationQuery(
    uid: string,
    annotation: Record<string, unknown>,
    opts: QueryOptions
  ): Promise<{ frames: FrameJSON[]; events?: unknown }> {
    const { instance } = this.registered(uid);
    const support = instance.annotations;
    if (!support) throw new Error(`${uid} has no annotations support`);
    const anno = { enable: true, name: 'harness', iconColor: 'red', ...annotation } as never;
    const prepared = (
      support.prepareQuery ? support.prepareQuery(anno) : (annotation.target as DataQuery)
    ) as DataQuery | undefined;
    if (!prepared) return { frames: [] };
    const req = this.request(uid, [{ ...prepared, refId: 'Anno' }], { ...opts, app: 'dashboard' });
    const res = await firstValueFrom(
      toObservable(instance.query(req)).pipe(filter((r) => r.state !== LoadingState.Loading))
    );
    const frames = res.data ?? [];
    const events = support.processEvents
      ? await firstValueFrom(support.processEvents(anno, frames) as Observable<unknown>)
      : undefined;
    return {
      frames: frames.map(frameToJSON),
      ...(events !== undefined ? { events: JSON.parse(JSON.stringify(events)) } : {}),
    };
  }

  renderConfigEditor(uid: string, theme: ThemeMode): string {
    const { instance } = this.registered(uid);
    const info = this.settingsFor.get(uid);
    const Editor = instance.components?.ConfigEditor as ComponentType<Record<string, unknown>> | undefined;
    if (!Editor || !info) throw new Error(`${uid} has no ConfigEditor`);
    const mount = createMount('config-editor');
    const state = {
      options: {
        id: 1,
        uid,
        orgId: 1,
        name: info.name,
        typeLogoUrl: `public/plugins/${info.type}/img/logo.svg`,
        type: info.type,
        typeName: instance.meta.name,
        access: 'proxy',
        url: '',
        user: '',
        database: '',
        basicAuth: false,
        basicAuthUser: '',
        isDefault: false,
        jsonData: { ...info.jsonData },
        secureJsonFields: { ...info.secureJsonFields },
        readOnly: false,
        withCredentials: false,
      } as DataSourceSettings,
      queries: [] as DataQuery[],
      runs: 0,
    };
    this.editorState.set(mount.key, state);
    const draw = () =>
      mount.render(
        <Editor
          options={state.options}
          onOptionsChange={(o: DataSourceSettings) => {
            state.options = o;
            draw();
          }}
        />,
        theme
      );
    draw();
    return mount.key;
  }

  renderQueryEditor(
    uid: string,
    query: DataQuery,
    theme: ThemeMode,
    opts: QueryOptions,
    kind: 'query' | 'variable' = 'query'
  ): string {
    const { instance } = this.registered(uid);
    // A variable editor is the custom variable support's `editor` (Grafana's variable editor renders it with the
    // variable's stored query, which may be of an older shape) or, legacy, components.VariableQueryEditor.
    const support = instance.variables as { editor?: unknown } | undefined;
    const Editor = (
      kind === 'variable'
        ? (support?.editor ?? instance.components?.VariableQueryEditor)
        : instance.components?.QueryEditor
    ) as ComponentType<Record<string, unknown>> | undefined;
    if (!Editor) throw new Error(`${uid} has no ${kind === 'variable' ? 'variable editor' : 'QueryEditor'}`);
    const mount = createMount(kind === 'variable' ? 'variable-editor' : 'query-editor');
    const state = { queries: [query], runs: 0 };
    this.editorState.set(mount.key, state);
    const range = timeRangeFromSpec(opts.range);
    const draw = () =>
      mount.render(
        <Editor
          datasource={instance}
          query={state.queries[state.queries.length - 1]}
          onChange={(q: DataQuery) => {
            state.queries.push(q);
            draw();
          }}
          onRunQuery={() => {
            state.runs += 1;
          }}
          app="dashboard"
          range={range}
        />,
        theme
      );
    draw();
    return mount.key;
  }

  /** Config editor: the latest options (secure values as typed, never sent anywhere). Query editor: queries seen. */
  editor(key: string): { options?: unknown; queries: unknown[]; runs: number } {
    const state = this.editorState.get(key);
    if (!state) throw new Error(`no editor ${key}`);
    return JSON.parse(JSON.stringify(state)) as { options?: unknown; queries: unknown[]; runs: number };
  }
}
