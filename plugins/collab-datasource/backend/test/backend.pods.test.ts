/**
 * The bundled backend (dist-backend/backend.cjs) started the way Grafana starts a backend plugin (environment,
 * handshake line, gRPC over the announced address) against two REAL pods and a stock y-websocket client, with
 * gRPC clients compiled from the PUBLISHED pluginv2 proto (conformance: every request this test sends is
 * encoded, and every response decoded, with Grafana's definitions). Frames are decoded with apache-arrow and
 * checked for the metadata Grafana reads; stream packets are checked as the JSON frames Grafana Live forwards.
 * Bad input: malformed query JSON, an unknown kind, a wrong key, an unreachable pod (named by the health
 * check), channels outside the caller's role or the key's org, garbage paths — and the process stays up.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Type } from 'apache-arrow';
import type { ClientReadableStream } from '@grpc/grpc-js';
import { COLLAB_FRAME_KIND_KEY, PRESENCE_FIELDS, ROOMS_FIELDS } from '@collabblocks/protocol';

import { connectClient, type StockClient } from '../../../../collab-server/test/helpers/clients';
import { mintToken, TEST_API_KEYS } from '../../../../collab-server/test/helpers/jwt';
import { startPod, type PodProcess } from '../../../../collab-server/test/helpers/pod';
import { collabDataRulesFile } from '../../../../provisioning/src/grafana-alerting';
import {
  startPluginHost,
  type PluginHost,
} from '../../../../e2e/harness/src/server/backendPlugin/pluginHost';
import { readArrowIPC } from '../../../../e2e/harness/src/server/backendPlugin/frames';
import { BACKEND_BUNDLE } from '../testing/executable';

const here = path.dirname(fileURLToPath(import.meta.url));
const ROOM = 'acme/backenddoc';
const NAME = 'Alice Example';

let pods: PodProcess[] = [];
let host: PluginHost;
let client: StockClient;
let client2: StockClient;

interface DecodedResponse {
  frames: Buffer[];
  error: string;
  status: number;
}

function settings(podUrls: string[], apiKey: string = TEST_API_KEYS.acmeContent.key, updated = 1) {
  return {
    id: 7,
    uid: 'collab-be',
    name: 'Collab',
    jsonData: Buffer.from(JSON.stringify({ podUrls })),
    decryptedSecureJsonData: { apiKey },
    lastUpdatedMS: updated,
  };
}

function pluginContext(
  role: string | null,
  podUrls = pods.map((p) => p.httpUrl),
  apiKey?: string,
  updated?: number
) {
  return {
    orgId: 1,
    pluginId: 'collabblocks-collab-datasource',
    ...(role ? { user: { login: 'u', name: 'U', email: 'u@example.invalid', role } } : {}),
    dataSourceInstanceSettings: settings(podUrls, apiKey, updated),
  };
}

async function query(
  queries: Array<Record<string, unknown> | string>,
  role: string | null = 'Viewer',
  ctx = pluginContext(role)
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

function decode(buf: Buffer) {
  const table = readArrowIPC(buf);
  const md = table.schema.metadata;
  const meta = md.get('meta') ? (JSON.parse(md.get('meta')!) as Record<string, unknown>) : undefined;
  return {
    name: md.get('name'),
    refId: md.get('refId'),
    meta,
    fields: table.schema.fields.map((f, i) => ({
      name: f.metadata.get('name'),
      tstype: f.metadata.get('tstype'),
      config: f.metadata.get('config') ? (JSON.parse(f.metadata.get('config')!) as unknown) : undefined,
      labels: f.metadata.get('labels') ? (JSON.parse(f.metadata.get('labels')!) as unknown) : undefined,
      type: f.type,
      nullable: f.nullable,
      values: Array.from({ length: table.numRows }, (_, r) => table.getChildAt(i)!.get(r)).map(
        (v: unknown) => (typeof v === 'bigint' ? Number(v) : v)
      ),
    })),
  };
}

beforeAll(async () => {
  execFileSync(process.execPath, [path.join(here, '..', 'build.mjs')], { stdio: 'pipe' });
  pods = await Promise.all([startPod(), startPod()]);
  const token = await mintToken({ org: 'acme', sub: 'alice', name: NAME });
  client = connectClient(pods[0]!.wsUrl, ROOM, token, {
    awareness: { user: { name: NAME, color: '#ff0000' }, cursor: { x: 0.25, y: 0.75 } },
  });
  // A room on the second pod too, so the rooms frame has both pods' rows.
  client2 = connectClient(pods[1]!.wsUrl, 'acme/second', token);
  await Promise.all([client.synced, client2.synced]);
  client.doc.getText('t').insert(0, 'hello');
  // The bundle just built (the packaged executable embeds whatever bundle it was packaged from).
  host = await startPluginHost({ command: process.execPath, args: [BACKEND_BUNDLE] });
});

afterAll(async () => {
  client?.destroy();
  client2?.destroy();
  await host?.stop();
  await Promise.all(pods.map((p) => p.cleanup()));
});

describe('backend plugin protocol v2 (published proto) against real pods', () => {
  it('announces itself with the go-plugin handshake line', () => {
    expect(host.handshake).toMatch(/^1\|2\|tcp\|127\.0\.0\.1:\d+\|grpc$/);
  });

  it('QueryData rooms: Arrow frames in the SDK layout, values from both pods', async () => {
    const r = (await query([{ queryType: 'rooms' }]))['A']!;
    expect(r.error).toBe('');
    expect(r.status).toBe(200);
    expect(r.frames).toHaveLength(1);
    const f = decode(r.frames[0]!);
    expect(f.refId).toBe('A');
    expect(f.meta?.custom).toMatchObject({ [COLLAB_FRAME_KIND_KEY]: 'rooms' });
    const byName = Object.fromEntries(f.fields.map((x) => [x.name, x]));
    expect(byName[ROOMS_FIELDS.room]!.values).toContain(ROOM);
    expect(byName[ROOMS_FIELDS.room]!.type.typeId).toBe(Type.Utf8);
    expect(byName[ROOMS_FIELDS.room]!.tstype).toBe('string');
    expect(byName[ROOMS_FIELDS.docBytes]!.type.typeId).toBe(Type.Float);
    expect(byName[ROOMS_FIELDS.docBytes]!.tstype).toBe('number');
    expect(byName[ROOMS_FIELDS.docBytes]!.config).toMatchObject({ unit: 'bytes' });
    const t = byName[ROOMS_FIELDS.lastActivity]!;
    expect(t.type.typeId).toBe(Type.Timestamp);
    expect((t.type as { unit: number }).unit).toBe(3); // TimeUnit.NANOSECOND
    expect(t.tstype).toBe('time');
    // Epoch ms within the last hour (ns on the wire, read back as ms).
    const times = t.values.filter((v: unknown): v is number => typeof v === 'number');
    expect(times.some((v: number) => Math.abs(Date.now() - v) < 3_600_000)).toBe(true);
    expect(new Set(byName[ROOMS_FIELDS.pod]!.values).size).toBe(2);
  });

  it('QueryData presence: a snapshot a Viewer may see (no names) and a metadata Live channel', async () => {
    const r = (await query([{ queryType: 'presence', room: ROOM }], 'Viewer'))['A']!;
    expect(r.error).toBe('');
    const f = decode(r.frames[0]!);
    expect(String(f.meta?.channel)).toMatch(/^ds\/collab-be\/metadata\/presence\/[A-Za-z0-9_-]+$/);
    const labels = f.fields.find((x) => x.name === PRESENCE_FIELDS.label)!.values;
    expect(labels.length).toBeGreaterThan(0);
    expect(JSON.stringify(f.fields.map((x) => x.values))).not.toContain(NAME);
    // Alerting reads numbers: x / y are float64 columns.
    expect(f.fields.find((x) => x.name === PRESENCE_FIELDS.x)!.type.typeId).toBe(Type.Float);
  });

  it('QueryData presence as Editor: names, and a content channel', async () => {
    const r = (await query([{ queryType: 'presence', room: ROOM }], 'Editor'))['A']!;
    const f = decode(r.frames[0]!);
    expect(String(f.meta?.channel)).toMatch(/^ds\/collab-be\/content\/presence\//);
    expect(f.fields.find((x) => x.name === PRESENCE_FIELDS.label)!.values).toContain(NAME);
  });

  it('QueryData with a measure: the numeric table alert rules reduce (string labels + one float64)', async () => {
    const r = (await query([{ queryType: 'rooms', measure: ROOMS_FIELDS.docBytes }], null))['A']!;
    expect(r.error).toBe('');
    const f = decode(r.frames[0]!);
    expect(f.fields.map((x) => x.tstype)).toEqual([...f.fields.slice(0, -1).map(() => 'string'), 'number']);
    expect(f.fields[f.fields.length - 1]!.name).toBe(ROOMS_FIELDS.docBytes);
    expect(f.meta?.channel).toBeUndefined();
    const bad = (await query([{ queryType: 'rooms', measure: 'nope' }], null))['A']!;
    expect(bad.status).toBe(400);
    expect(bad.error).toContain('measure "nope" is not a field');
  });

  it('the provisioned example alert rule (provisioning/src) queries a shape Grafana alerting can reduce', async () => {
    const file = collabDataRulesFile() as {
      groups: Array<{
        rules: Array<{ data: Array<{ datasourceUid: string; model: Record<string, unknown> }> }>;
      }>;
    };
    const q = file.groups[0]!.rules[0]!.data.find((d) => d.datasourceUid === 'collab')!.model;
    const r = (await query([q], null))['A']!;
    expect(r.error).toBe('');
    const f = decode(r.frames[0]!);
    // A numeric table: every field a string label but exactly one number.
    expect(f.fields.filter((x) => x.tstype === 'number')).toHaveLength(1);
    expect(f.fields.every((x) => x.tstype === 'string' || x.tstype === 'number')).toBe(true);
    expect(f.fields.find((x) => x.name === ROOMS_FIELDS.room)!.values).toContain(ROOM);
  });

  it('bad queries fail alone, with a status and a readable error; the process stays up', async () => {
    const rs = await query([
      '{not json',
      { queryType: 'nope' },
      { queryType: 'presence', room: 'no-slash' },
      { queryType: 'rooms' },
    ]);
    expect(rs['A']).toMatchObject({ status: 400, error: expect.stringContaining('malformed query JSON') });
    expect(rs['B']).toMatchObject({ status: 400, error: 'unknown query type "nope"' });
    expect(rs['C']!.status).toBe(400);
    expect(rs['C']!.error).toContain('room "no-slash"');
    expect(rs['D']).toMatchObject({ status: 200, error: '' });
    expect(host.proc.exitCode).toBeNull();
  });

  it('CheckHealth: every pod named when healthy; the unreachable one named when not; a wrong key said so', async () => {
    const ok = await host.call<{ status: string; message: string }>(host.diagnostics, 'CheckHealth', {
      pluginContext: pluginContext('Admin'),
    });
    expect(ok.status).toBe('OK');
    expect(ok.message).toContain('All 2 pods reachable');
    const dead = 'http://127.0.0.1:9';
    const bad = await host.call<{ status: string; message: string }>(host.diagnostics, 'CheckHealth', {
      pluginContext: {
        ...pluginContext('Admin', [pods[0]!.httpUrl, dead]),
        dataSourceInstanceSettings: { ...settings([pods[0]!.httpUrl, dead]), uid: 'collab-dead' },
      },
    });
    expect(bad.status).toBe('ERROR');
    expect(bad.message).toContain('1 of 2 pods failed');
    expect(bad.message).toContain(dead);
    const wrongKey = await host.call<{ status: string; message: string }>(host.diagnostics, 'CheckHealth', {
      pluginContext: {
        ...pluginContext('Admin'),
        dataSourceInstanceSettings: {
          ...settings(
            pods.map((p) => p.httpUrl),
            'not-a-key'
          ),
          uid: 'collab-wrongkey',
        },
      },
    });
    expect(wrongKey.status).toBe('ERROR');
    expect(wrongKey.message).toMatch(/Could not mint an inspect token from the pods: .*HTTP 40[13]/);
    expect(wrongKey.message).not.toContain('not-a-key');
    expect(host.stderr()).not.toContain(TEST_API_KEYS.acmeContent.key);
  });

  it('CallResource variables: the values of a variable query from every pod', async () => {
    const res = await new Promise<Array<{ code: number; body: Buffer }>>((resolve, reject) => {
      const out: Array<{ code: number; body: Buffer }> = [];
      const call = (
        host.resource.CallResource as (r: unknown) => ClientReadableStream<{ code: number; body: Buffer }>
      )({
        pluginContext: pluginContext('Viewer'),
        path: 'variables',
        method: 'GET',
        url: 'variables?kind=rooms&org=acme',
      });
      call.on('data', (d: { code: number; body: Buffer }) => out.push(d));
      call.on('end', () => resolve(out));
      call.on('error', reject);
    });
    expect(res[0]!.code).toBe(200);
    expect(JSON.parse(res[0]!.body.toString())).toContainEqual({ text: ROOM, value: ROOM });
  });

  it('SubscribeStream refuses a content channel to a Viewer, a room of another org, and garbage', async () => {
    const editor = decode((await query([{ queryType: 'presence', room: ROOM }], 'Editor'))['A']!.frames[0]!);
    const contentPath = String(editor.meta?.channel).replace(/^ds\/collab-be\//, '');
    const sub = (role: string, p: string) =>
      host.call<{ status: string }>(host.stream, 'SubscribeStream', {
        pluginContext: pluginContext(role),
        path: p,
      });
    expect((await sub('Editor', contentPath)).status).toBe('OK');
    expect((await sub('Viewer', contentPath)).status).toBe('PERMISSION_DENIED');
    const globex = `metadata/presence/${Buffer.from(JSON.stringify({ room: 'globex/secret' })).toString('base64url')}`;
    expect((await sub('Viewer', globex)).status).toBe('PERMISSION_DENIED');
    expect((await sub('Viewer', 'metadata/presence/%%%')).status).toBe('NOT_FOUND');
    expect((await sub('Viewer', 'metadata/rooms/e30')).status).toBe('NOT_FOUND');
    expect((await sub('Viewer', 'x'.repeat(5000))).status).toBe('NOT_FOUND');
    expect(host.proc.exitCode).toBeNull();
  });

  it('RunStream sends JSON frames (schema + data) as the SDK StreamSender does, live, and stops when cancelled', async () => {
    const viewer = decode((await query([{ queryType: 'presence', room: ROOM }], 'Viewer'))['A']!.frames[0]!);
    const p = String(viewer.meta?.channel).replace(/^ds\/collab-be\//, '');
    const packets: Array<{
      schema?: { fields: Array<{ name: string; type: string; typeInfo: { frame: string } }> };
      data?: { values: unknown[][] };
    }> = [];
    const call = (host.stream.RunStream as (r: unknown) => ClientReadableStream<{ data: Buffer }>)({
      pluginContext: pluginContext('Viewer'),
      path: p,
    });
    call.on('data', (d: { data: Buffer }) =>
      packets.push(JSON.parse(d.data.toString('utf8')) as (typeof packets)[number])
    );
    call.on('error', () => undefined);
    const until = async (pred: () => boolean, ms = 10_000) => {
      const end = Date.now() + ms;
      while (!pred()) {
        if (Date.now() > end) throw new Error('timeout');
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const xs = () => {
      const last = packets[packets.length - 1];
      const i = last?.schema?.fields.findIndex((f) => f.name === PRESENCE_FIELDS.x) ?? -1;
      return i >= 0 ? (last!.data!.values[i] as number[]) : [];
    };
    await until(() => xs().includes(0.25));
    const last = packets[packets.length - 1]!;
    const x = last.schema!.fields.find((f) => f.name === PRESENCE_FIELDS.x)!;
    expect(x).toMatchObject({ type: 'number', typeInfo: { frame: 'float64' } });
    const t = last.schema!.fields.find((f) => f.name === PRESENCE_FIELDS.lastSeen)!;
    expect(t).toMatchObject({ type: 'time', typeInfo: { frame: 'time.Time' } });
    client.provider.awareness.setLocalStateField('cursor', { x: 0.9, y: 0.1 });
    await until(() => xs().includes(0.9));
    call.cancel();
    expect(host.proc.exitCode).toBeNull();
  });

  it('QueryData annotations: answered at once from a recording the first query starts; a later join is in the next answer', async () => {
    const room = 'acme/annotated';
    const first = (await query([{ queryType: 'annotations', room }], 'Viewer'))['A']!;
    expect(first.error).toBe('');
    const f0 = decode(first.frames[0]!);
    expect(f0.name).toBe('annotations');
    // The range starts an hour before the recording did: the notice says since when it runs.
    expect(JSON.stringify(f0.meta?.notices)).toContain('recorded by the datasource');
    const token = await mintToken({ org: 'acme', sub: 'bob', name: 'Bob Example' });
    const joiner = connectClient(pods[1]!.wsUrl, room, token, { awareness: { cursor: { x: 0.5, y: 0.5 } } });
    try {
      await joiner.synced;
      let titles: unknown[] = [];
      for (let i = 0; i < 100 && !titles.includes('Join'); i++) {
        await new Promise((r) => setTimeout(r, 100));
        const r = (await query([{ queryType: 'annotations', room }], 'Viewer'))['A']!;
        expect(r.error).toBe('');
        const f = decode(r.frames[0]!);
        titles = f.fields.find((x) => x.name === 'title')!.values;
        // Viewer: pseudonyms only.
        expect(JSON.stringify(f.fields.map((x) => x.values))).not.toContain('Bob Example');
      }
      expect(titles).toContain('Join');
    } finally {
      joiner.destroy();
    }
  });

  it('CollectMetrics answers Prometheus text', async () => {
    const res = await host.call<{ metrics: { prometheus: Buffer } }>(host.diagnostics, 'CollectMetrics', {
      pluginContext: pluginContext(null),
    });
    expect(res.metrics.prometheus.toString()).toMatch(/collab_backend_queries_total \d+/);
  });
});
