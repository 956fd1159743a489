// Real implementations of the Grafana runtime services plugins call: backendSrv (fetch → Observable of
// FetchResponse, datasourceRequest, get/post/…), templateSrv (variable interpolation with Grafana's syntax and
// formats) and dataSourceSrv (instances created by the harness).
import { lastValueFrom, Observable } from 'rxjs';
import type {
  DataSourceApi,
  DataSourceInstanceSettings,
  DataSourceRef,
  ScopedVars,
  TimeRange,
} from '@grafana/data';
import type {
  BackendSrv,
  BackendSrvRequest,
  DataSourceSrv,
  FetchResponse,
  TemplateSrv,
} from '@grafana/runtime';

import type { TemplateVariables } from '../shared/types.js';
import { errorMessage } from '@collabblocks/protocol';

// ---------------------------------------------------------------- backendSrv

export interface HarnessFetchError {
  status: number;
  statusText: string;
  data: unknown;
  config: BackendSrvRequest;
  message: string;
  isHandled?: boolean;
}

function buildUrl(options: BackendSrvRequest): string {
  const url = new URL(options.url, window.location.origin);
  const params = (options.params ?? {}) as Record<string, unknown>;
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null) continue;
    for (const item of Array.isArray(v) ? v : [v]) url.searchParams.append(k, String(item));
  }
  return url.origin === window.location.origin ? url.pathname + url.search : url.toString();
}

async function readBody(res: Response, responseType: BackendSrvRequest['responseType']): Promise<unknown> {
  if (responseType === 'text') return res.text();
  if (responseType === 'blob') return res.blob();
  if (responseType === 'arraybuffer') return res.arrayBuffer();
  const text = await res.text();
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

export class HarnessBackendSrv {
  private readonly inflight = new Map<string, AbortController>();

  fetch<T>(options: BackendSrvRequest): Observable<FetchResponse<T>> {
    return new Observable<FetchResponse<T>>((subscriber) => {
      const controller = new AbortController();
      if (options.requestId) {
        // Grafana cancels an in-flight request with the same requestId.
        this.inflight.get(options.requestId)?.abort();
        this.inflight.set(options.requestId, controller);
      }
      const headers = new Headers((options.headers ?? {}) as Record<string, string>);
      let body: BodyInit | undefined;
      if (options.data !== undefined) {
        if (
          typeof options.data === 'string' ||
          options.data instanceof Blob ||
          options.data instanceof FormData
        ) {
          body = options.data;
        } else {
          body = JSON.stringify(options.data);
          if (!headers.has('content-type')) headers.set('content-type', 'application/json');
        }
      }
      const url = buildUrl(options);
      fetch(url, {
        method: options.method ?? 'GET',
        headers,
        body,
        signal: controller.signal,
        credentials: options.withCredentials ? 'include' : 'same-origin',
      })
        .then(async (res) => {
          const data = await readBody(res, options.responseType);
          const response: FetchResponse<T> = {
            data: data as T,
            status: res.status,
            statusText: res.statusText,
            ok: res.ok,
            headers: res.headers,
            redirected: res.redirected,
            type: res.type,
            url: res.url,
            config: options,
          };
          if (!res.ok) {
            const message =
              typeof data === 'object' && data !== null && 'message' in data
                ? String(data.message)
                : res.statusText;
            const err: HarnessFetchError = {
              status: res.status,
              statusText: res.statusText,
              data,
              config: options,
              message,
            };
            subscriber.error(err);
            return;
          }
          subscriber.next(response);
          subscriber.complete();
        })
        .catch((err: unknown) => {
          if (controller.signal.aborted) {
            subscriber.complete();
            return;
          }
          const message = errorMessage(err);
          subscriber.error({ status: 0, statusText: message, data: { message }, config: options, message });
        })
        .finally(() => {
          if (options.requestId && this.inflight.get(options.requestId) === controller) {
            this.inflight.delete(options.requestId);
          }
        });
      return () => controller.abort();
    });
  }

  async request<T = unknown>(options: BackendSrvRequest): Promise<T> {
    return (await lastValueFrom(this.fetch<T>(options))).data;
  }

  datasourceRequest<T = unknown>(options: BackendSrvRequest): Promise<FetchResponse<T>> {
    return lastValueFrom(this.fetch<T>(options));
  }

  get<T = unknown>(
    url: string,
    params?: BackendSrvRequest['params'],
    requestId?: string,
    options?: Partial<BackendSrvRequest>
  ) {
    return this.request<T>({ ...options, url, params, requestId, method: 'GET' });
  }
  delete<T = unknown>(url: string, data?: unknown, options?: Partial<BackendSrvRequest>) {
    return this.request<T>({ ...options, url, data, method: 'DELETE' });
  }
  post<T = unknown>(url: string, data?: unknown, options?: Partial<BackendSrvRequest>) {
    return this.request<T>({ ...options, url, data, method: 'POST' });
  }
  patch<T = unknown>(url: string, data?: unknown, options?: Partial<BackendSrvRequest>) {
    return this.request<T>({ ...options, url, data, method: 'PATCH' });
  }
  put<T = unknown>(url: string, data?: unknown, options?: Partial<BackendSrvRequest>) {
    return this.request<T>({ ...options, url, data, method: 'PUT' });
  }

  asBackendSrv(): BackendSrv {
    return this as unknown as BackendSrv;
  }
}

// ---------------------------------------------------------------- templateSrv

// Grafana's variable syntax: $var, [[var]] / [[var:fmt]], ${var}, ${var.field}, ${var:fmt}.
const VARIABLE_RE = /\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.([^:^}]+))?(?::([^}]+))?\}/g;

function escapeRegex(s: string): string {
  return s.replace(/[-[\]{}()*+?.,\\^$|#\s]/g, '\\$&');
}

export function formatVariableValue(
  value: string | string[],
  format: string | undefined,
  name: string
): string {
  const values = Array.isArray(value) ? value : [value];
  switch (format) {
    case undefined:
    case '':
      return values.length > 1 ? `{${values.join(',')}}` : (values[0] ?? '');
    case 'raw':
    case 'text':
      return values.join(',');
    case 'csv':
      return values.join(',');
    case 'pipe':
      return values.join('|');
    case 'glob':
      return values.length > 1 ? `{${values.join(',')}}` : (values[0] ?? '');
    case 'regex':
      return values.length > 1 ? `(${values.map(escapeRegex).join('|')})` : escapeRegex(values[0] ?? '');
    case 'json':
      return JSON.stringify(Array.isArray(value) ? value : value);
    case 'queryparam':
      return values.map((v) => `var-${name}=${encodeURIComponent(v)}`).join('&');
    case 'percentencode':
      return encodeURIComponent(values.length > 1 ? `{${values.join(',')}}` : (values[0] ?? ''));
    case 'singlequote':
      return values.map((v) => `'${v.replace(/'/g, "\\'")}'`).join(',');
    case 'doublequote':
      return values.map((v) => `"${v.replace(/"/g, '\\"')}"`).join(',');
    case 'sqlstring':
      return values.map((v) => `'${v.replace(/'/g, "''")}'`).join(',');
    default:
      return values.join(',');
  }
}

type FormatArg = string | ((value: unknown, variable?: unknown) => string) | undefined;

export class HarnessTemplateSrv {
  private vars: TemplateVariables = {};
  private range: TimeRange | undefined;

  setVariables(vars: TemplateVariables): void {
    this.vars = { ...vars };
  }

  updateTimeRange(range: TimeRange): void {
    this.range = range;
  }

  getVariables(): unknown[] {
    return Object.entries(this.vars).map(([name, value]) => ({
      id: name,
      name,
      type: 'custom',
      label: name,
      multi: Array.isArray(value),
      current: { text: value, value },
      options: (Array.isArray(value) ? value : [value]).map((v) => ({ text: v, value: v, selected: true })),
    }));
  }

  private lookup(name: string, scopedVars?: ScopedVars, fieldPath?: string): string | string[] | undefined {
    const scoped = scopedVars?.[name];
    if (scoped) {
      let v: unknown = scoped.value;
      if (fieldPath && typeof v === 'object' && v !== null) {
        for (const part of fieldPath.split('.')) v = (v as Record<string, unknown>)[part];
      }
      if (Array.isArray(v)) return v.map(String);
      return v === undefined || v === null ? '' : String(v);
    }
    if (name === '__from' && this.range) return String(this.range.from.valueOf());
    if (name === '__to' && this.range) return String(this.range.to.valueOf());
    return this.vars[name];
  }

  replace(target?: string, scopedVars?: ScopedVars, format?: FormatArg): string {
    if (!target) return target ?? '';
    return target.replace(
      VARIABLE_RE,
      (match, v1?: string, v2?: string, fmt2?: string, v3?: string, fieldPath?: string, fmt3?: string) => {
        const name = v1 ?? v2 ?? v3 ?? '';
        const value = this.lookup(name, scopedVars, fieldPath);
        if (value === undefined) return match;
        const fmt = fmt2 ?? fmt3 ?? format;
        if (typeof fmt === 'function') return fmt(value, { name });
        return formatVariableValue(value, fmt, name);
      }
    );
  }

  containsTemplate(target?: string): boolean {
    if (!target) return false;
    VARIABLE_RE.lastIndex = 0;
    for (const m of target.matchAll(VARIABLE_RE)) {
      const name = m[1] ?? m[2] ?? m[4] ?? '';
      if (name in this.vars) return true;
    }
    return false;
  }

  existsVariable(target?: string): boolean {
    return this.containsTemplate(target);
  }

  getAdhocFilters(): unknown[] {
    return [];
  }

  asTemplateSrv(): TemplateSrv {
    return this as unknown as TemplateSrv;
  }
}

// ---------------------------------------------------------------- dataSourceSrv

export interface RegisteredDatasource {
  instance: DataSourceApi;
  settings: DataSourceInstanceSettings;
}

export class HarnessDataSourceSrv {
  readonly byUid = new Map<string, RegisteredDatasource>();

  private find(ref?: string | DataSourceRef | null): RegisteredDatasource | undefined {
    if (ref === null || ref === undefined) return this.byUid.values().next().value;
    const key = typeof ref === 'string' ? ref : ref.uid;
    if (!key) return undefined;
    return this.byUid.get(key) ?? [...this.byUid.values()].find((d) => d.settings.name === key);
  }

  async get(ref?: string | DataSourceRef | null): Promise<DataSourceApi> {
    const found = this.find(ref);
    if (!found) throw new Error(`Datasource ${JSON.stringify(ref)} was not found`);
    return found.instance;
  }

  getInstanceSettings(ref?: string | DataSourceRef | null): DataSourceInstanceSettings | undefined {
    return this.find(ref)?.settings;
  }

  getList(): DataSourceInstanceSettings[] {
    return [...this.byUid.values()].map((d) => d.settings);
  }

  async reload(): Promise<void> {}

  registerRuntimeDataSource(): void {
    throw new Error('runtime datasources are not supported by the harness');
  }

  asDataSourceSrv(): DataSourceSrv {
    return this as unknown as DataSourceSrv;
  }
}
