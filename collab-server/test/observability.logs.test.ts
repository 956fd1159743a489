import { context, trace, TraceFlags } from '@opentelemetry/api';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { tracing } from '@opentelemetry/sdk-node';
import { createLogger, safeUrl, scrubMessage } from '../src/observability/logger.js';
import { getTracer, shutdownTracing, startTracing } from '../src/observability/tracing.js';

function capture() {
  const lines: string[] = [];
  const dest = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      cb();
    },
  });
  const logger = createLogger({ level: 'debug', pod: 'pod-log' }, dest);
  // pino writes synchronously to a plain Writable.
  return {
    logger,
    raw: () => lines.join('\n'),
    json: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

const JWT =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1LTEiLCJuYW1lIjoiQWRhIExvdmVsYWNlIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ';

describe('logs', () => {
  it('redacts tokens, API keys and user names in logged objects (raw output)', () => {
    const { logger, raw } = capture();
    logger.info(
      {
        token: JWT,
        apiKey: 'ak_live_123456',
        name: 'Ada Lovelace',
        displayName: 'Ada Lovelace',
        user: { name: 'Grace Hopper', id: 'u-2' },
        conn: { displayName: 'Katherine Johnson', token: 'tok-abc', room: 'acme/r1' },
        req: { headers: { authorization: 'Bearer sekret-bearer', cookie: 'sid=cookie-val', host: 'pod' } },
        auth: { password: 'hunter2', email: 'ada@example.com' },
        org: 'acme',
      },
      'connect'
    );
    const out = raw();
    for (const secret of [
      JWT,
      'ak_live_123456',
      'Ada Lovelace',
      'Grace Hopper',
      'Katherine Johnson',
      'tok-abc',
      'sekret-bearer',
      'cookie-val',
      'hunter2',
      'ada@example.com',
    ]) {
      expect(out).not.toContain(secret);
    }
    expect(out).toContain('[redacted]');
    expect(out).toContain('acme/r1');
    expect(out).toContain('"org":"acme"');
    expect(out).toContain('"pod":"pod-log"');
  });

  it('masks token-looking substrings in messages', () => {
    const { logger, raw } = capture();
    logger.warn(`rejected /acme/r1?token=${JWT}&x=1`);
    logger.warn({ org: 'acme' }, 'bad header Bearer abc.def.ghi and raw %s', JWT);
    const out = raw();
    expect(out).not.toContain(JWT);
    expect(out).not.toContain('abc.def.ghi');
    expect(out).toContain('?token=[redacted]&x=1');
    expect(scrubMessage('api_key=xyz&ok=1')).toBe('api_key=[redacted]&ok=1');
  });

  it('strips query strings from URLs', () => {
    expect(safeUrl('/acme/room?token=abc')).toBe('/acme/room');
    expect(safeUrl('/acme/room#token=abc')).toBe('/acme/room');
    expect(safeUrl('/metrics')).toBe('/metrics');
    expect(safeUrl(undefined)).toBe('');
  });

  it('adds trace_id / span_id inside a sampled span only (real SDK context)', async () => {
    const { logger, json } = capture();
    const exporter = new tracing.InMemorySpanExporter();
    startTracing({
      env: { OTEL_TRACES_SAMPLER_ARG: '1' },
      spanProcessor: new tracing.SimpleSpanProcessor(exporter),
    });
    try {
      logger.info('outside');
      const span = getTracer().startSpan('update');
      context.with(trace.setSpan(context.active(), span), () => logger.info('inside'));
      span.end();
      const unsampled = trace.wrapSpanContext({
        traceId: '5bf92f3577b34da6a3ce929d0e0e4736',
        spanId: '10f067aa0ba902b7',
        traceFlags: TraceFlags.NONE,
      });
      context.with(trace.setSpan(context.active(), unsampled), () => logger.info('unsampled'));
      const [outside, inside, notSampled] = json();
      expect(outside?.trace_id).toBeUndefined();
      expect(inside?.trace_id).toBe(span.spanContext().traceId);
      expect(inside?.span_id).toBe(span.spanContext().spanId);
      expect(inside?.trace_id).toMatch(/^[0-9a-f]{32}$/);
      expect(notSampled?.trace_id).toBeUndefined();
    } finally {
      await shutdownTracing();
    }
  });
});
