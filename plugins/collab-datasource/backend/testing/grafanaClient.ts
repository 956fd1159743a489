/**
 * What backend tests send and read as Grafana would, over the published proto (PluginHost): plugin contexts
 * with a datasource's settings and a user's role, QueryData with Arrow frames decoded by apache-arrow,
 * CallResource, and RunStream packets parsed as the JSON frames Grafana Live forwards. One place, so the
 * fault and tenancy tests speak to the backend the same way.
 */
import type { ClientReadableStream } from '@grpc/grpc-js';

import { readArrowIPC } from '../../../../e2e/harness/src/server/backendPlugin/frames';
import type { PluginHost } from '../../../../e2e/harness/src/server/backendPlugin/pluginHost';

export interface DatasourceOptions {
  podUrls: string[];
  apiKey: string;
  uid?: string;
  id?: number;
  /** Grafana organisation of the datasource (uids are unique per organisation only). */
  orgId?: number;
  updated?: number;
}

export type Role = 'Viewer' | 'Editor' | 'Admin' | null;

export function pluginContext(ds: DatasourceOptions, role: Role) {
  return {
    orgId: ds.orgId ?? 1,
    pluginId: 'collabblocks-collab-datasource',
    ...(role ? { user: { login: 'u', name: 'U', email: 'u@example.invalid', role } } : {}),
    dataSourceInstanceSettings: {
      id: ds.id ?? 7,
      uid: ds.uid ?? 'collab-be',
      name: 'Collab',
      jsonData: Buffer.from(JSON.stringify({ podUrls: ds.podUrls })),
      decryptedSecureJsonData: { apiKey: ds.apiKey },
      lastUpdatedMS: ds.updated ?? 1,
    },
  };
}

export type PluginContextMessage = ReturnType<typeof pluginContext>;

export interface DecodedResponse {
  frames: Buffer[];
  error: string;
  status: number;
}

export async function queryData(
  host: PluginHost,
  ctx: PluginContextMessage,
  queries: Array<Record<string, unknown> | string>
): Promise<Record<string, DecodedResponse>> {
  const res = await host.call<{ responses: Record<string, DecodedResponse> }>(host.data, 'QueryData', {
    pluginContext: ctx,
    queries: queries.map((q, i) => ({
      refId: String.fromCharCode(65 + i),
      maxDataPoints: 500,
      intervalMS: 1000,
      timeRange: { fromEpochMS: Date.now() - 3_600_000, toEpochMS: Date.now() + 60_000 },
      json: Buffer.from(
        typeof q === 'string' ? q : JSON.stringify({ refId: String.fromCharCode(65 + i), ...q })
      ),
      queryType: typeof q === 'string' ? '' : String(q.queryType ?? ''),
    })),
  });
  return res.responses;
}

export interface DecodedFrame {
  name: string | undefined;
  meta: Record<string, unknown> | undefined;
  fields: Array<{ name: string | undefined; labels: unknown; values: unknown[] }>;
  rows: number;
}

export function decodeArrow(buf: Buffer): DecodedFrame {
  const table = readArrowIPC(buf);
  const md = table.schema.metadata;
  return {
    name: md.get('name'),
    meta: md.get('meta') ? (JSON.parse(md.get('meta')!) as Record<string, unknown>) : undefined,
    fields: table.schema.fields.map((f, i) => ({
      name: f.metadata.get('name'),
      labels: f.metadata.get('labels') ? (JSON.parse(f.metadata.get('labels')!) as unknown) : undefined,
      values: Array.from({ length: table.numRows }, (_, r) => table.getChildAt(i)!.get(r)).map(
        (v: unknown) => (typeof v === 'bigint' ? Number(v) : v)
      ),
    })),
    rows: table.numRows,
  };
}

export async function callResource(
  host: PluginHost,
  ctx: PluginContextMessage,
  url: string
): Promise<{ code: number; body: string }> {
  const [path] = url.split('?');
  return new Promise((resolve, reject) => {
    const out: Array<{ code: number; body: Buffer }> = [];
    const call = (
      host.resource.CallResource as (r: unknown) => ClientReadableStream<{ code: number; body: Buffer }>
    )({ pluginContext: ctx, path, method: 'GET', url });
    call.on('data', (d: { code: number; body: Buffer }) => out.push(d));
    call.on('end', () => resolve({ code: out[0]?.code ?? 0, body: out[0]?.body.toString('utf8') ?? '' }));
    call.on('error', reject);
  });
}

/** A stream packet as Grafana Live forwards it (frame JSON, data.FrameToJSON layout). */
export interface Packet {
  schema?: {
    name?: string;
    meta?: { notices?: Array<{ severity: string; text: string }>; [k: string]: unknown };
    fields: Array<{ name: string; labels?: Record<string, string> }>;
  };
  data?: { values: unknown[][] };
}

export interface RunningStream {
  packets: Packet[];
  /** Raw packet texts (for "nothing of X appears anywhere" checks). */
  raw: string[];
  /** Resolves with the call's end: null when it ended cleanly or was cancelled, else the gRPC error. */
  ended: Promise<(Error & { code?: number }) | null>;
  cancel(): void;
}

export function runStream(host: PluginHost, ctx: PluginContextMessage, path: string): RunningStream {
  const packets: Packet[] = [];
  const raw: string[] = [];
  const call = (host.stream.RunStream as (r: unknown) => ClientReadableStream<{ data: Buffer }>)({
    pluginContext: ctx,
    path,
  });
  call.on('data', (d: { data: Buffer }) => {
    const text = d.data.toString('utf8');
    raw.push(text);
    packets.push(JSON.parse(text) as Packet);
  });
  const ended = new Promise<(Error & { code?: number }) | null>((resolve) => {
    call.on('error', (err: Error & { code?: number }) => resolve(err.code === 1 ? null : err));
    call.on('end', () => resolve(null));
  });
  return { packets, raw, ended, cancel: () => call.cancel() };
}

/** A packet's column by field name (first match). */
export function column(p: Packet | undefined, name: string): unknown[] {
  const i = p?.schema?.fields.findIndex((f) => f.name === name) ?? -1;
  return i >= 0 ? (p!.data?.values[i] ?? []) : [];
}

/**
 * Polls `pred` every 50 ms until it holds; fails with `what` after `ms` (a bound, not a timing assertion), and
 * with what `state()` says of the moment (what was seen instead), so a timeout on a loaded run can be read.
 */
export async function until(
  what: string,
  pred: () => boolean,
  ms = 15_000,
  state?: () => string
): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end)
      throw new Error(`timed out waiting for ${what}${state ? `; instead: ${state().slice(0, 2000)}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** `until` for an async probe. */
export async function untilAsync(what: string, pred: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A live query's channel path (after `ds/<uid>/`) from its QueryData answer. */
export function channelOf(r: DecodedResponse | undefined): string {
  const f = r?.frames[0] ? decodeArrow(r.frames[0]) : undefined;
  const ch = String(f?.meta?.channel ?? '');
  return ch.replace(/^ds\/[^/]+\//, '');
}

/** Sum of a pod's `name{org="…"}` gauge samples from its /metrics. */
export async function podGauge(httpUrl: string, name: string, org: string): Promise<number> {
  const text = await (await fetch(`${httpUrl}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) || !line.includes(`org="${org}"`)) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** Resident set size of a process (Linux /proc), MiB. */
export async function rssMiB(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) / 1024 : NaN;
}
