/**
 * Spans of the core (in-memory exporter, real SDK from src/observability):
 * a TRACE_CONTEXT message parents the connection's next update, the update
 * span has persist/apply/broadcast children, onPersist carries the trace id,
 * and no span attribute carries the user name or token.
 */
import { tracing } from '@opentelemetry/sdk-node';
import * as encoding from 'lib0/encoding';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { PersistEvent } from '../src/hooks/index.js';
import { shutdownTracing, startTracing } from '../src/observability/tracing.js';
import { connectClient, openRaw, waitFor } from './helpers/clients.js';
import { startInProcess, type InProcessPod } from './helpers/inproc.js';
import { mintToken } from './helpers/jwt.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_SPAN = '00f067aa0ba902b7';

describe('core spans', () => {
  const exporter = new tracing.InMemorySpanExporter();
  let pod: InProcessPod;
  const persists: PersistEvent[] = [];
  beforeAll(async () => {
    startTracing({
      env: { OTEL_TRACES_SAMPLER_ARG: '1' },
      spanProcessor: new tracing.SimpleSpanProcessor(exporter),
    });
    pod = await startInProcess({ extensions: [{ name: 'p', onPersist: (ev) => persists.push(ev) }] });
  });
  afterAll(async () => {
    await pod?.close();
    await shutdownTracing();
  });

  it('TRACE_CONTEXT parents the next update; update has persist/apply/broadcast children', async () => {
    const secretName = 'Zelda Secretname';
    const token = await mintToken({ org: 'acme', sub: 'zelda', name: secretName });
    const observer = connectClient(pod.wsUrl, 'acme/traced', await mintToken({ org: 'acme', sub: 'obs' }));
    await observer.synced;
    const raw = await openRaw(`${pod.wsUrl}/acme/traced?token=${token}`);
    await waitFor(() => raw.frames.length > 0, 5000, 'attached');

    const tc = encoding.createEncoder();
    encoding.writeVarUint(tc, 120);
    encoding.writeVarString(tc, `00-${TRACE_ID}-${PARENT_SPAN}-01`);
    encoding.writeVarString(tc, 'vendor=x');
    raw.ws.send(encoding.toUint8Array(tc));
    const doc = new Y.Doc();
    doc.getText('t').insert(0, 'traced edit');
    const up = encoding.createEncoder();
    encoding.writeVarUint(up, 0);
    encoding.writeVarUint(up, 2);
    encoding.writeVarUint8Array(up, Y.encodeStateAsUpdate(doc));
    raw.ws.send(encoding.toUint8Array(up));
    await waitFor(() => observer.doc.getText('t').toString() === 'traced edit', 5000, 'broadcast');
    await waitFor(
      () =>
        exporter.getFinishedSpans().some((s) => s.name === 'update' && s.spanContext().traceId === TRACE_ID),
      5000,
      'update span'
    );
    const spans = exporter.getFinishedSpans();
    const update = spans.find((s) => s.name === 'update' && s.spanContext().traceId === TRACE_ID)!;
    expect(update.parentSpanContext?.spanId).toBe(PARENT_SPAN);
    expect(update.attributes).toMatchObject({ org: 'acme', 'room.id': 'acme/traced' });
    const children = spans.filter((s) => s.parentSpanContext?.spanId === update.spanContext().spanId);
    expect(children.map((s) => s.name).sort()).toEqual([
      'update.apply',
      'update.broadcast',
      'update.persist',
    ]);
    expect(persists.some((p) => p.traceId === TRACE_ID)).toBe(true);

    const names = new Set(spans.map((s) => s.name));
    for (const n of ['ws.connect', 'room.load', 'sync.step1']) expect(names, n).toContain(n);
    const everything = JSON.stringify(spans.map((s) => s.attributes));
    expect(everything).not.toContain(secretName);
    expect(everything).not.toContain(token);
    raw.ws.close();
    observer.destroy();
  });
});
