import { context, propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { tracing } from '@opentelemetry/sdk-node';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  currentTraceId,
  getTracer,
  isPersonalAttributeKey,
  sampleRatioFromEnv,
  shutdownTracing,
  startTracing,
  tracingSettingsFromEnv,
} from '../src/observability/tracing.js';

afterEach(async () => {
  await shutdownTracing();
});

function memoryTracing(env: Record<string, string> = {}) {
  const exporter = new tracing.InMemorySpanExporter();
  const handle = startTracing({ env, spanProcessor: new tracing.SimpleSpanProcessor(exporter) });
  if (!handle) throw new Error('tracing did not start');
  return { exporter, handle };
}

describe('tracing settings', () => {
  it('is off without an OTLP endpoint, and when disabled', () => {
    expect(tracingSettingsFromEnv({}).enabled).toBe(false);
    expect(tracingSettingsFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }).enabled).toBe(
      true
    );
    expect(tracingSettingsFromEnv({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://x/v1/traces' }).enabled).toBe(
      true
    );
    expect(
      tracingSettingsFromEnv({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318',
        OTEL_SDK_DISABLED: 'true',
      }).enabled
    ).toBe(false);
    expect(
      tracingSettingsFromEnv({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318',
        OTEL_TRACES_EXPORTER: 'none',
      }).enabled
    ).toBe(false);
    // Importing the module (done above) started nothing: no endpoint in the test environment.
    expect(startTracing({ env: {} })).toBeUndefined();
  });

  it('warns about an OTLP protocol it cannot honour', () => {
    const ep = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' };
    expect(
      tracingSettingsFromEnv({ ...ep, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }).warning
    ).toBeUndefined();
    expect(
      tracingSettingsFromEnv({ ...ep, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' }).warning
    ).toBeUndefined();
    expect(tracingSettingsFromEnv({ ...ep, OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc' }).warning).toMatch(
      /grpc/
    );
  });

  it('reads the ratio from OTEL_TRACES_SAMPLER_ARG', () => {
    expect(sampleRatioFromEnv({})).toBe(0.1);
    expect(sampleRatioFromEnv({ OTEL_TRACES_SAMPLER_ARG: '0.25' })).toBe(0.25);
    expect(sampleRatioFromEnv({ OTEL_TRACES_SAMPLER_ARG: 'lots' })).toBe(0.1);
    expect(sampleRatioFromEnv({ OTEL_TRACES_SAMPLER_ARG: '2' })).toBe(0.1);
  });

  it('recognises personal attribute keys', () => {
    for (const k of [
      'name',
      'user.name',
      'enduser.id',
      'auth.token',
      'http.request.header.authorization',
      'displayName',
    ])
      expect(isPersonalAttributeKey(k), k).toBe(true);
    for (const k of ['org', 'room.id', 'collab.bytes', 'collab.backend', 'service.name'])
      expect(isPersonalAttributeKey(k), k).toBe(false);
  });
});

describe('sampler (real SDK, shipped config)', () => {
  it('samples 10% ± 1 point of 20,000 root update spans; children follow their parent', () => {
    const { exporter } = memoryTracing();
    const tracer = getTracer();
    const N = 20_000;
    let sampledRoots = 0;
    for (let i = 0; i < N; i++) {
      const root = tracer.startSpan('update');
      const ctx = trace.setSpan(context.active(), root);
      const child = tracer.startSpan('update.persist', {}, ctx);
      const rootSampled = root.isRecording();
      if (rootSampled) sampledRoots += 1;
      expect(child.isRecording()).toBe(rootSampled);
      child.end();
      root.end();
    }
    const spans = exporter.getFinishedSpans();
    const roots = spans.filter((s) => s.name === 'update');
    expect(roots.length).toBe(sampledRoots);
    expect(spans.filter((s) => s.name === 'update.persist').length).toBe(sampledRoots);
    const ratio = roots.length / N;
    console.log(`sampled ${roots.length}/${N} root spans = ${(ratio * 100).toFixed(2)}%`);
    expect(ratio).toBeGreaterThanOrEqual(0.09);
    expect(ratio).toBeLessThanOrEqual(0.11);
  });

  it('honours a sampled remote parent (traceparent) whatever the ratio', () => {
    const { exporter } = memoryTracing({ OTEL_TRACES_SAMPLER_ARG: '0' });
    const tracer = getTracer();
    for (let i = 0; i < 50; i++) tracer.startSpan('unsampled-root').end();
    const parent = propagation.extract(ROOT_CONTEXT, {
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    });
    context.with(parent, () => {
      const span = tracer.startSpan('update');
      context.with(trace.setSpan(context.active(), span), () => {
        expect(currentTraceId()).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
      });
      span.end();
    });
    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => s.name)).toEqual(['update']);
    expect(spans[0]?.spanContext().traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
  });

  it('currentTraceId is undefined outside spans and inside unsampled ones', () => {
    memoryTracing({ OTEL_TRACES_SAMPLER_ARG: '0' });
    expect(currentTraceId()).toBeUndefined();
    const span = getTracer().startSpan('x');
    context.with(trace.setSpan(context.active(), span), () => expect(currentTraceId()).toBeUndefined());
    span.end();
  });
});

describe('attribute guard', () => {
  it('drops personal and credential attributes from exported spans, events and links', () => {
    const { exporter } = memoryTracing({ OTEL_TRACES_SAMPLER_ARG: '1' });
    const span = getTracer().startSpan('update', {
      attributes: { org: 'acme', 'room.id': 'acme/r1', name: 'Ada Lovelace', 'user.name': 'ada' },
    });
    span.setAttribute('enduser.id', 'u-1');
    span.setAttribute('auth.token', 'eyJhbGciOi.secret.sig');
    span.setAttribute('http.request.header.authorization', 'Bearer abc');
    span.setAttribute('collab.bytes', 12);
    span.addEvent('joined', { displayName: 'Ada', 'collab.seq': 3 });
    span.end();
    const [out] = exporter.getFinishedSpans();
    expect(out?.attributes).toEqual({ org: 'acme', 'room.id': 'acme/r1', 'collab.bytes': 12 });
    expect(out?.events[0]?.attributes).toEqual({ 'collab.seq': 3 });
  });
});

describe('OTLP/HTTP export', () => {
  it('exports JSON to the configured endpoint with service and pod resource, flushing on shutdown', async () => {
    const bodies: unknown[] = [];
    const paths: string[] = [];
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        paths.push(req.url ?? '');
        bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const saved = { ...process.env };
    Object.assign(process.env, {
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
      OTEL_TRACES_SAMPLER_ARG: '1',
      COLLAB_POD_NAME: 'pod-otlp',
    });
    try {
      const handle = startTracing();
      expect(handle?.settings.enabled).toBe(true);
      for (let i = 0; i < 5; i++)
        getTracer()
          .startSpan('update', { attributes: { org: 'acme', token: 't' } })
          .end();
      await shutdownTracing(); // must flush the batch processor
    } finally {
      for (const k of ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_TRACES_SAMPLER_ARG', 'COLLAB_POD_NAME']) {
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
      }
      await new Promise<void>((r) => server.close(() => r()));
    }
    expect(paths.every((p) => p === '/v1/traces')).toBe(true);
    type Kv = { key: string; value: { stringValue?: string } };
    type Req = {
      resourceSpans: Array<{
        resource: { attributes: Kv[] };
        scopeSpans: Array<{ spans: Array<{ name: string; attributes: Kv[] }> }>;
      }>;
    };
    const rs = (bodies as Req[]).flatMap((b) => b.resourceSpans);
    const spans = rs.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));
    expect(spans.length).toBe(5);
    const attr = (kvs: Kv[], key: string) => kvs.find((a) => a.key === key)?.value.stringValue;
    expect(attr(rs[0]?.resource.attributes ?? [], 'service.name')).toBe('collab-server');
    expect(attr(rs[0]?.resource.attributes ?? [], 'service.instance.id')).toBe('pod-otlp');
    for (const s of spans) expect(s.attributes.map((a) => a.key)).toEqual(['org']);
  });

  it('does not let an unresponsive collector hold shutdown', async () => {
    // Counts export requests and never answers them.
    let received = 0;
    const server = http.createServer(() => {
      received++;
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const saved = process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = `http://127.0.0.1:${port}`;
    try {
      expect(startTracing({ env: { ...process.env, OTEL_TRACES_SAMPLER_ARG: '1' } })).toBeDefined();
      getTracer().startSpan('update').end();
      // Shutdown returns while the collector still holds the export unanswered (were it held by the
      // collector, it would never return: the test's timeout). Asserted on events, not on wall-clock time.
      await shutdownTracing(300);
      // The exporter did send the export (on a loaded machine it may arrive after shutdown returned), and
      // the collector never answered it.
      await expect.poll(() => received, { timeout: 10_000 }).toBe(1);
    } finally {
      if (saved === undefined) delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
      else process.env.OTEL_EXPORTER_OTLP_ENDPOINT = saved;
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
