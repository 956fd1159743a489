/**
 * The pod's tracer. Spans go through `@opentelemetry/api` only; the SDK (if
 * any) is initialised by `src/observability/tracing.ts` before anything else.
 * Span attributes carry org, room id, sizes and counts — never a user name or token.
 */
import { trace, TraceFlags, type Attributes, type Context, type Span } from '@opentelemetry/api';

export const tracer = trace.getTracer('collab-server');

/** Trace id of a sampled, recording span (an exemplar candidate), else undefined. */
export function sampledTraceId(span: Span | undefined): string | undefined {
  if (!span) return undefined;
  const sc = span.spanContext();
  return (sc.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED && trace.isSpanContextValid(sc)
    ? sc.traceId
    : undefined;
}

/**
 * A child span of `parent`, or `parent` itself when it is not recording. Under the pod's
 * ParentBased sampler a child of an unsampled span is never recorded either, so creating it
 * (sampler call, ids, context objects) is pure cost on the per-update path; the returned
 * non-recording span ignores attributes, status and `end()`.
 */
export function childSpan(parent: Span, name: string, parentCtx: Context, attributes?: Attributes): Span {
  if (!parent.isRecording()) return parent;
  return tracer.startSpan(name, attributes ? { attributes } : {}, parentCtx);
}
