/**
 * The pod's tracer. Spans go through `@opentelemetry/api` only; the SDK (if
 * any) is initialised by `src/observability/tracing.ts` before anything else.
 * Span attributes carry org, room id, sizes and counts — never a user name or token.
 */
import { trace, TraceFlags, type Span } from '@opentelemetry/api';

export const tracer = trace.getTracer('collab-server');

/** Trace id of a sampled, recording span (an exemplar candidate), else undefined. */
export function sampledTraceId(span: Span | undefined): string | undefined {
  if (!span) return undefined;
  const sc = span.spanContext();
  return (sc.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED && trace.isSpanContextValid(sc)
    ? sc.traceId
    : undefined;
}
