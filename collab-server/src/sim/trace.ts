/**
 * Our `TRACE_CONTEXT` y-websocket message (client → pod): varuint 120, varstring
 * W3C traceparent, varstring tracestate. Sent right before an update so the
 * pod can parent its span on the client's trace. Stock servers ignore it.
 */
import { randomBytes } from 'node:crypto';
import { YMessageType } from '@collabblocks/protocol';
import * as encoding from 'lib0/encoding';

export interface TraceContext {
  traceparent: string;
  tracestate: string;
}

/** A fresh sampled W3C traceparent (`00-<trace id>-<span id>-01`). */
export function newTraceContext(tracestate = 'sim=1'): TraceContext {
  const traceId = randomBytes(16).toString('hex');
  const spanId = randomBytes(8).toString('hex');
  return { traceparent: `00-${traceId}-${spanId}-01`, tracestate };
}

export function encodeTraceContext(ctx: TraceContext): Uint8Array {
  const enc = encoding.createEncoder();
  encoding.writeVarUint(enc, YMessageType.TRACE_CONTEXT);
  encoding.writeVarString(enc, ctx.traceparent);
  encoding.writeVarString(enc, ctx.tracestate);
  return encoding.toUint8Array(enc);
}
