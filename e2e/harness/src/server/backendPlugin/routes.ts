/**
 * Grafana's HTTP API for backend datasources, served by the harness from the plugin's real backend (started by
 * pluginHost.ts exactly as Grafana starts it): `POST /api/ds/query` → QueryData (frames converted as Grafana's
 * server converts them), `/api/datasources/uid/<uid>/resources/*` → CallResource,
 * `/api/datasources/uid/<uid>/health` → CheckHealth. The datasource's secure settings reach the plugin only
 * (decryptedSecureJsonData), never a response.
 */
import type { ClientReadableStream } from '@grpc/grpc-js';

import { arrowFrameToJSON } from './frames.js';
import { LiveHub } from './liveHub.js';
import { type PluginHost, startPluginHost } from './pluginHost.js';

export interface BackendDatasource {
  uid: string;
  name: string;
  pluginId: string;
  jsonData: Record<string, unknown>;
  secureJsonData: Record<string, string>;
  /** Changes when the settings change (Grafana's `updated`). */
  updated: number;
}

export interface HttpAnswer {
  status: number;
  body: unknown;
}

/** How the harness starts a plugin's backend (plugin dir → command); one place to switch. */
export type BackendCommand = (pluginId: string) => {
  command: string;
  args?: string[];
  env?: Record<string, string>;
};

export class BackendPlugins {
  private readonly hosts = new Map<string, Promise<PluginHost>>();
  private readonly hubs = new Map<string, LiveHub>();

  constructor(private readonly commandOf: BackendCommand) {}

  host(pluginId: string): Promise<PluginHost> {
    let h = this.hosts.get(pluginId);
    if (!h) {
      h = startPluginHost(this.commandOf(pluginId));
      h.catch(() => this.hosts.delete(pluginId));
      this.hosts.set(pluginId, h);
    }
    return h;
  }

  async live(pluginId: string): Promise<LiveHub> {
    let hub = this.hubs.get(pluginId);
    if (!hub) {
      hub = new LiveHub(await this.host(pluginId), { closeDelayMs: 100 });
      this.hubs.set(pluginId, hub);
    }
    return hub;
  }

  pluginContext(ds: BackendDatasource, role: string) {
    return {
      orgId: 1,
      pluginId: ds.pluginId,
      user: { login: 'harness', name: 'Harness', email: 'harness@example.invalid', role },
      dataSourceInstanceSettings: {
        id: 1,
        uid: ds.uid,
        name: ds.name,
        jsonData: Buffer.from(JSON.stringify(ds.jsonData)),
        decryptedSecureJsonData: ds.secureJsonData,
        lastUpdatedMS: ds.updated,
      },
    };
  }

  /** `POST /api/ds/query`: `{ queries: [{ refId, datasource: { uid }, ... }], from, to }`. */
  async query(
    body: unknown,
    lookup: (uid: string) => BackendDatasource | undefined,
    role: string
  ): Promise<HttpAnswer> {
    const b = (body ?? {}) as { queries?: unknown; from?: unknown; to?: unknown };
    if (!Array.isArray(b.queries) || b.queries.length === 0)
      return { status: 400, body: { message: 'queries required' } };
    const now = Date.now();
    const from = Number(b.from ?? now - 3_600_000);
    const to = Number(b.to ?? now);
    const byDs = new Map<string, Array<Record<string, unknown>>>();
    for (const q of b.queries as Array<Record<string, unknown>>) {
      const uid = String((q.datasource as { uid?: unknown } | undefined)?.uid ?? '');
      byDs.set(uid, [...(byDs.get(uid) ?? []), q]);
    }
    const results: Record<string, unknown> = {};
    for (const [uid, queries] of byDs) {
      const ds = lookup(uid);
      if (!ds) return { status: 404, body: { message: `data source ${uid} not found` } };
      const host = await this.host(ds.pluginId);
      const res = await host.call<{
        responses: Record<string, { frames: Buffer[]; error: string; status: number }>;
      }>(host.data, 'QueryData', {
        pluginContext: this.pluginContext(ds, role),
        queries: queries.map((q) => ({
          refId: String(q.refId ?? 'A'),
          maxDataPoints: Number(q.maxDataPoints ?? 0) || 0,
          intervalMS: Number(q.intervalMs ?? 0) || 0,
          timeRange: {
            fromEpochMS: Number.isFinite(from) ? from : now - 3_600_000,
            toEpochMS: Number.isFinite(to) ? to : now,
          },
          json: Buffer.from(JSON.stringify(q)),
          queryType: typeof q.queryType === 'string' ? q.queryType : '',
        })),
      });
      for (const [refId, r] of Object.entries(res.responses)) {
        results[refId] = {
          status: r.status || 200,
          frames: r.frames.map((f) => arrowFrameToJSON(f)),
          ...(r.error ? { error: r.error, errorSource: 'plugin' } : {}),
        };
      }
    }
    // Grafana answers 207 Multi-Status when some query failed.
    const failed = Object.values(results).some((r) => (r as { error?: string }).error);
    return { status: failed ? 207 : 200, body: { results } };
  }

  async resource(
    ds: BackendDatasource,
    role: string,
    method: string,
    rest: string,
    search: string,
    body: Buffer
  ): Promise<HttpAnswer & { contentType: string }> {
    const host = await this.host(ds.pluginId);
    const path = rest.replace(/^\/+/, '');
    const parts = await new Promise<
      Array<{ code: number; body: Buffer; headers: Record<string, { values: string[] }> }>
    >((resolve, reject) => {
      const out: Array<{ code: number; body: Buffer; headers: Record<string, { values: string[] }> }> = [];
      const call = (host.resource.CallResource as (r: unknown) => ClientReadableStream<(typeof out)[number]>)(
        {
          pluginContext: this.pluginContext(ds, role),
          path,
          method,
          url: `${path}${search}`,
          headers: {},
          body,
        }
      );
      call.on('data', (d: (typeof out)[number]) => out.push(d));
      call.on('end', () => resolve(out));
      call.on('error', reject);
    });
    const first = parts[0];
    if (!first)
      return { status: 500, body: { message: 'plugin sent no response' }, contentType: 'application/json' };
    const contentType = first.headers['content-type']?.values[0] ?? 'application/json';
    const raw = Buffer.concat(parts.map((p) => p.body)).toString('utf8');
    return { status: first.code || 200, body: raw, contentType };
  }

  async health(ds: BackendDatasource, role: string): Promise<HttpAnswer> {
    const host = await this.host(ds.pluginId);
    const res = await host.call<{ status: string; message: string; jsonDetails: Buffer }>(
      host.diagnostics,
      'CheckHealth',
      {
        pluginContext: this.pluginContext(ds, role),
      }
    );
    const details = res.jsonDetails?.length
      ? (JSON.parse(res.jsonDetails.toString('utf8')) as unknown)
      : undefined;
    // Grafana: 200 with status OK, 400 with status ERROR.
    return {
      status: res.status === 'OK' ? 200 : 400,
      body: { status: res.status, message: res.message, ...(details ? { details } : {}) },
    };
  }

  async close(): Promise<void> {
    for (const hub of this.hubs.values()) hub.close();
    this.hubs.clear();
    const hosts = [...this.hosts.values()];
    this.hosts.clear();
    await Promise.all(
      hosts.map((h) =>
        h.then(
          (x) => x.stop(),
          () => undefined
        )
      )
    );
  }
}
