/**
 * Observability against a REAL pod process (src/main.ts): stock y-websocket
 * clients, `/metrics` scraped over HTTP, traces exported over OTLP/HTTP (JSON)
 * to a local receiver.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { closeCodeOf, connectClient, waitFor, type StockClient } from './helpers/clients.js';
import { mintToken } from './helpers/jwt.js';
import { startPod, type PodProcess } from './helpers/pod.js';

const OM_ACCEPT = 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
  exemplar?: string;
}

function parse(body: string): Sample[] {
  const out: Sample[] = [];
  for (const line of body.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*?)\})? (\S+)(?: # (.*))?$/.exec(line);
    if (!m) throw new Error(`unparseable exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const lm of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[lm[1] as string] = lm[2] as string;
    }
    out.push({ name: m[1] as string, labels, value: Number(m[3]), ...(m[4] ? { exemplar: m[4] } : {}) });
  }
  return out;
}

function pick(samples: Sample[], name: string, labels: Record<string, string> = {}): Sample[] {
  return samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)
  );
}

const sum = (s: Sample[]) => s.reduce((a, x) => a + x.value, 0);

async function scrape(pod: PodProcess, accept?: string): Promise<{ contentType: string; body: string }> {
  const res = await fetch(`${pod.httpUrl}/metrics`, accept ? { headers: { accept } } : {});
  expect(res.status).toBe(200);
  return { contentType: res.headers.get('content-type') ?? '', body: await res.text() };
}

/** A minimal OTLP/HTTP (JSON) trace receiver on 127.0.0.1. */
async function startReceiver() {
  type Kv = { key: string; value: { stringValue?: string } };
  type OtlpSpan = { name: string; traceId: string; spanId: string; parentSpanId?: string; attributes?: Kv[] };
  type Req = {
    resourceSpans?: Array<{ resource?: { attributes?: Kv[] }; scopeSpans?: Array<{ spans?: OtlpSpan[] }> }>;
  };
  const spans: OtlpSpan[] = [];
  const resources: Kv[][] = [];
  let requests = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests += 1;
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Req;
        for (const rs of body.resourceSpans ?? []) {
          resources.push(rs.resource?.attributes ?? []);
          for (const ss of rs.scopeSpans ?? []) spans.push(...(ss.spans ?? []));
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      } catch {
        res.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    resources,
    requests: () => requests,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const pods: PodProcess[] = [];
const clients: StockClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  for (const p of pods.splice(0)) await p.cleanup();
});
afterAll(async () => {
  for (const p of pods.splice(0)) await p.cleanup();
});

function isRootSpan(s: { parentSpanId?: string }): boolean {
  return s.parentSpanId === undefined || s.parentSpanId === '' || /^0*$/.test(s.parentSpanId);
}

describe('metrics of a real pod', () => {
  it('exposes the documented metrics with sensible values; 4401 after a tokenless connect', async () => {
    const pod = await startPod({
      env: {
        // Pings answered late by a loaded test process would get connections terminated: not too tight.
        COLLAB_PING_INTERVAL_MS: '1000',
        COLLAB_METRICS_STORAGE_REFRESH_MS: '200',
        COLLAB_METRICS_PROCESS_SAMPLE_MS: '200',
        COLLAB_ORG_QUOTAS: 'acme:5000000',
      },
    });
    pods.push(pod);
    const token = await mintToken({ org: 'acme', sub: 'u-1', name: 'Ada Lovelace' });
    const a = connectClient(pod.wsUrl, 'acme/doc', token, { awareness: { cursor: 1 } });
    const b = connectClient(pod.wsUrl, 'acme/doc', token, { awareness: { cursor: 2 } });
    clients.push(a, b);
    await Promise.all([a.synced, b.synced]);
    for (let i = 0; i < 20; i++) a.doc.getText('t').insert(0, 'x');
    await waitFor(() => b.doc.getText('t').length === 20, 10_000, 'convergence');
    a.provider.awareness.setLocalStateField('cursor', 3);

    const rejected = await closeCodeOf(`${pod.wsUrl}/acme/doc`);
    expect(rejected.code).toBe(4401);

    // Presence RTT (ping every second) and the background storage refresh need a moment.
    let samples: Sample[] = [];
    await waitFor(
      async () => {
        samples = parse((await scrape(pod)).body);
        return (
          sum(pick(samples, 'presence_rtt_ms_count', { org: 'acme' })) >= 2 &&
          sum(pick(samples, 'collab_storage_bytes', { org: 'acme' })) > 0 &&
          sum(pick(samples, 'cpu_usage')) > 0
        );
      },
      10_000,
      'presence RTT, storage sizes and cpu sampled',
      100
    );

    const { contentType, body } = await scrape(pod);
    expect(contentType).toContain('text/plain; version=0.0.4');
    samples = parse(body);
    for (const s of samples) expect(s.labels.pod, s.name).toBe(pod.podName);

    expect(pick(samples, 'collab_active_connections', { org: 'acme', room_id: 'doc' })[0]?.value).toBe(2);
    expect(
      sum(pick(samples, 'crdt_ops_total', { org: 'acme', room_id: 'doc', type: 'update' }))
    ).toBeGreaterThanOrEqual(20);
    expect(
      sum(pick(samples, 'crdt_ops_total', { org: 'acme', room_id: 'doc', type: 'awareness' }))
    ).toBeGreaterThan(0);
    expect(sum(pick(samples, 'collab_messages_total', { org: 'acme' }))).toBeGreaterThanOrEqual(22);
    expect(sum(pick(samples, 'collab_connections_total', { org: 'acme' }))).toBe(2);
    expect(sum(pick(samples, 'ws_errors_total', { code: '4401' }))).toBe(1);
    expect(sum(pick(samples, 'storage_op_rtt_ms_count', { org: 'acme' }))).toBeGreaterThanOrEqual(20);
    expect(pick(samples, 'storage_op_rtt_ms_bucket', { org: 'acme', le: '40' })).toHaveLength(1);
    expect(pick(samples, 'presence_rtt_ms_bucket', { org: 'acme', le: '60' })).toHaveLength(1);
    expect(
      sum(pick(samples, 'storage_write_latency_ms_count', { backend: 'sqlite' }))
    ).toBeGreaterThanOrEqual(1);
    expect(pick(samples, 'collab_rooms_loaded')[0]?.value).toBe(1);
    expect(pick(samples, 'collab_room_load_ms_count')[0]?.value).toBe(1);
    expect(pick(samples, 'collab_storage_quota_bytes', { org: 'acme' })[0]?.value).toBe(5_000_000);
    expect(pick(samples, 'collab_ops_lag', { org: 'acme' })).toHaveLength(1);
    expect(pick(samples, 'collab_ops_pending_durable', { org: 'acme' })[0]?.value).toBe(0);
    expect(pick(samples, 'mem_usage')[0]?.value).toBeGreaterThan(10_000_000);
    const cpu = pick(samples, 'cpu_usage')[0]?.value ?? -1;
    expect(cpu).toBeGreaterThan(0);
    expect(cpu).toBeLessThan(4);
    expect(pick(samples, 'nodejs_eventloop_lag_p99_seconds')).toHaveLength(1);
    // No user name or token anywhere in the exposition, nor in the pod's logs.
    expect(body).not.toContain('Ada');
    expect(body).not.toContain(token);
    expect(pod.output()).not.toContain(token);
    expect(pod.output()).not.toContain('Ada Lovelace');
    expect(pod.logs().length).toBeGreaterThan(0);

    const om = await scrape(pod, OM_ACCEPT);
    expect(om.contentType).toContain('application/openmetrics-text');
    expect(om.body.endsWith('# EOF\n')).toBe(true);
    expect(om.body).toMatch(/^# TYPE crdt_ops counter$/m);

    // After disconnects the gauge follows.
    a.destroy();
    b.destroy();
    clients.splice(0);
    await waitFor(
      async () =>
        sum(pick(parse((await scrape(pod)).body), 'collab_active_connections', { org: 'acme' })) === 0,
      10_000,
      'connections gauge back to 0',
      100
    );
  }, 60_000);
});

describe('room folding and unknown org on a real pod', () => {
  it('folds rooms beyond COLLAB_METRICS_TOP_ROOMS into _other; bad room paths count as org _unknown', async () => {
    const pod = await startPod({ env: { COLLAB_METRICS_TOP_ROOMS: '1' } });
    pods.push(pod);
    const token = await mintToken({ org: 'acme', sub: 'u-1' });
    const a = connectClient(pod.wsUrl, 'acme/first', token);
    clients.push(a);
    await a.synced;
    const b = connectClient(pod.wsUrl, 'acme/second', token);
    const c = connectClient(pod.wsUrl, 'acme/third', token);
    clients.push(b, c);
    await Promise.all([b.synced, c.synced]);
    for (const cl of [a, b, c]) for (let i = 0; i < 3; i++) cl.doc.getText('t').insert(0, 'q');
    const bad = await closeCodeOf(`${pod.wsUrl}/Not_A_Room`);
    expect(bad.code).toBe(4404);

    let samples: Sample[] = [];
    await waitFor(
      async () => {
        samples = parse((await scrape(pod)).body);
        return sum(pick(samples, 'crdt_ops_total', { org: 'acme', type: 'update' })) >= 9;
      },
      10_000,
      'ops counted',
      100
    );
    const roomIds = new Set(pick(samples, 'crdt_ops_total', { org: 'acme' }).map((s) => s.labels.room_id));
    expect([...roomIds].sort()).toEqual(['_other', 'first']);
    expect(pick(samples, 'collab_active_connections', { org: 'acme', room_id: 'first' })[0]?.value).toBe(1);
    expect(pick(samples, 'collab_active_connections', { org: 'acme', room_id: '_other' })[0]?.value).toBe(2);
    expect(sum(pick(samples, 'ws_errors_total', { org: '_unknown', code: '4404' }))).toBe(1);
  }, 60_000);
});

describe('traces of a real pod', () => {
  it('exports update spans over OTLP/HTTP; storage_op_rtt_ms exemplars link to exported traces', async () => {
    const receiver = await startReceiver();
    try {
      const pod = await startPod({
        env: {
          OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
          OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
          OTEL_TRACES_SAMPLER_ARG: '1',
          OTEL_BSP_SCHEDULE_DELAY: '100',
        },
      });
      pods.push(pod);
      const token = await mintToken({ org: 'acme', sub: 'u-1', name: 'Ada Lovelace' });
      const a = connectClient(pod.wsUrl, 'acme/traced', token);
      clients.push(a);
      await a.synced;
      for (let i = 0; i < 5; i++) a.doc.getText('t').insert(0, 'y');
      await waitFor(
        () => receiver.spans.filter((s) => s.name === 'update').length >= 5,
        15_000,
        'update spans'
      );

      const om = parse((await scrape(pod, OM_ACCEPT)).body);
      const exemplars = pick(om, 'storage_op_rtt_ms_bucket', { org: 'acme' })
        .map((s) => /trace_id="([0-9a-f]{32})"/.exec(s.exemplar ?? '')?.[1])
        .filter((x): x is string => x !== undefined);
      expect(exemplars.length).toBeGreaterThan(0);
      const exported = new Set(receiver.spans.map((s) => s.traceId));
      for (const t of exemplars) expect(exported.has(t), `exemplar ${t} not exported`).toBe(true);

      const res = receiver.resources[0] ?? [];
      expect(res.find((kv) => kv.key === 'service.name')?.value.stringValue).toBe('collab-server');
      expect(res.find((kv) => kv.key === 'service.instance.id')?.value.stringValue).toBe(pod.podName);
      const raw = JSON.stringify(receiver.spans);
      expect(raw).not.toContain('Ada');
      expect(raw).not.toContain(token);
    } finally {
      for (const c of clients.splice(0)) c.destroy();
      for (const p of pods.splice(0)) await p.cleanup();
      await receiver.close();
    }
  }, 60_000);

  it('samples 10% ± 1 point of 20,000 client updates end to end (root update spans vs ops sent)', async () => {
    const receiver = await startReceiver();
    const OPS = 20_000;
    try {
      const pod = await startPod({
        env: {
          OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
          OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
          OTEL_BSP_SCHEDULE_DELAY: '200',
          OTEL_BSP_MAX_QUEUE_SIZE: '65536',
          COLLAB_SQLITE_SYNC: 'normal',
        },
      });
      pods.push(pod);
      const token = await mintToken({ org: 'acme', sub: 'u-1' });
      const a = connectClient(pod.wsUrl, 'acme/sampled', token);
      const b = connectClient(pod.wsUrl, 'acme/sampled', token);
      clients.push(a, b);
      await Promise.all([a.synced, b.synced]);
      const text = a.doc.getText('t');
      // One transaction → one update message per op; sent in chunks so the socket buffer stays small.
      for (let i = 0; i < OPS; i++) {
        text.insert(text.length, 'z');
        if (i % 500 === 499) await new Promise((r) => setTimeout(r, 5));
      }
      await waitFor(() => b.doc.getText('t').length === OPS, 120_000, 'all ops applied and broadcast');
      // SIGTERM: the pod's graceful shutdown flushes the batch span processor.
      const exit = await pod.stop();
      expect(exit.code).toBe(0);
      const roots = receiver.spans.filter((s) => s.name === 'update' && isRootSpan(s));
      const ratio = roots.length / OPS;
      console.log(
        `end-to-end: ${roots.length} sampled root update spans / ${OPS} ops = ${(ratio * 100).toFixed(2)}%`
      );
      expect(ratio).toBeGreaterThanOrEqual(0.09);
      expect(ratio).toBeLessThanOrEqual(0.11);
      // Children only exist for sampled roots.
      const rootTraces = new Set(roots.map((s) => s.traceId));
      for (const s of receiver.spans) {
        if (s.name.startsWith('update.')) expect(rootTraces.has(s.traceId)).toBe(true);
      }
    } finally {
      for (const c of clients.splice(0)) c.destroy();
      for (const p of pods.splice(0)) await p.cleanup();
      await receiver.close();
    }
  }, 180_000);
});
