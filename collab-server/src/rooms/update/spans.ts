/**
 * The spans of one client update, created in one place: `update` (root) with
 * its children `update.persist`, `update.apply` and `update.broadcast`.
 * Children are only created when the root is recording (see `childSpan`).
 */
import { context as otelContext, SpanStatusCode, trace, type Context, type Span } from '@opentelemetry/api';
import { childSpan, sampledTraceId, tracer } from '../../observability/tracer.js';

export class UpdateSpans {
  private readonly root: Span;
  private readonly ctx: Context;
  private readonly persist: Span;
  private applySpan: Span | null = null;

  constructor(org: string, roomId: string, bytes: number, backend: string, parent?: Context) {
    const ctx = parent ?? otelContext.active();
    this.root = tracer.startSpan(
      'update',
      { attributes: { org, 'room.id': roomId, 'collab.bytes': bytes } },
      ctx
    );
    this.ctx = trace.setSpan(ctx, this.root);
    this.persist = childSpan(this.root, 'update.persist', this.ctx, { 'collab.backend': backend });
  }

  /** The append is durable: ends `update.persist`; returns its trace id when sampled (exemplar). */
  persisted(seq: number): string | undefined {
    const traceId = sampledTraceId(this.persist);
    this.persist.setAttribute('collab.seq', seq);
    this.persist.end();
    return traceId;
  }

  /** The append failed: both spans end in error. */
  persistFailed(err: unknown): void {
    this.persist.recordException(err as Error);
    this.persist.setStatus({ code: SpanStatusCode.ERROR, message: 'storage write failed' });
    this.persist.end();
    this.root.setStatus({ code: SpanStatusCode.ERROR, message: 'storage unavailable' });
    this.root.end();
  }

  startApply(): void {
    this.applySpan = childSpan(this.root, 'update.apply', this.ctx);
  }

  applied(): void {
    this.applySpan?.end();
  }

  /** The apply threw: `update.apply` ends in error, and the root ends. */
  applyFailed(err: unknown): void {
    const span = this.applySpan as Span;
    span.recordException(err as Error);
    span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
    this.root.end();
  }

  /** Runs the broadcast inside `update.broadcast`; returns the recipient count. */
  broadcast(send: () => number): number {
    const span = childSpan(this.root, 'update.broadcast', this.ctx);
    const recipients = send();
    span.setAttribute('collab.recipients', recipients);
    span.end();
    return recipients;
  }

  /** Ends the root span (with the durable seq when the update was applied). */
  end(seq?: number): void {
    if (seq !== undefined) this.root.setAttribute('collab.seq', seq);
    this.root.end();
  }
}
