/**
 * Strict decoding of incoming y-websocket frames. lib0's `readUint8Array`
 * does not bounds-check (a truncated length prefix silently yields a shorter
 * view), so every length-prefixed field is checked here before use.
 */
import * as decoding from 'lib0/decoding';
import { YMessageType, YSyncType } from '@collabblocks/protocol';
import type { FrameKind } from '../hooks/index.js';

export class MalformedFrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedFrameError';
  }
}

export type ParsedFrame =
  | { kind: 'sync-step1'; stateVector: Uint8Array }
  | { kind: 'sync-step2'; update: Uint8Array }
  | { kind: 'sync-update'; update: Uint8Array }
  | { kind: 'awareness'; update: Uint8Array }
  | { kind: 'auth' }
  | { kind: 'query-awareness' }
  | { kind: 'trace-context'; traceparent: string; tracestate: string }
  | { kind: 'unknown'; type: number };

function readUint(d: decoding.Decoder, what: string): number {
  try {
    return decoding.readVarUint(d);
  } catch {
    throw new MalformedFrameError(`truncated or invalid varint (${what})`);
  }
}

function readBytes(d: decoding.Decoder, what: string, max: number): Uint8Array {
  const len = readUint(d, `${what} length`);
  if (len > d.arr.length - d.pos) throw new MalformedFrameError(`truncated ${what}`);
  if (len > max) throw new MalformedFrameError(`${what} too long`);
  return decoding.readUint8Array(d, len);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function readString(d: decoding.Decoder, what: string, max: number): string {
  const bytes = readBytes(d, what, max);
  try {
    return utf8.decode(bytes);
  } catch {
    throw new MalformedFrameError(`${what} is not UTF-8`);
  }
}

/** Parses one binary frame; throws `MalformedFrameError` on truncated / malformed input. */
export function parseFrame(data: Uint8Array): ParsedFrame {
  if (data.byteLength === 0) throw new MalformedFrameError('empty frame');
  const d = decoding.createDecoder(data);
  const type = readUint(d, 'message type');
  switch (type) {
    case YMessageType.SYNC: {
      const sub = readUint(d, 'sync type');
      switch (sub) {
        case YSyncType.STEP1:
          return { kind: 'sync-step1', stateVector: readBytes(d, 'state vector', Infinity) };
        case YSyncType.STEP2:
          return { kind: 'sync-step2', update: readBytes(d, 'update', Infinity) };
        case YSyncType.UPDATE:
          return { kind: 'sync-update', update: readBytes(d, 'update', Infinity) };
        default:
          throw new MalformedFrameError(`unknown sync message type ${sub}`);
      }
    }
    case YMessageType.AWARENESS:
      return { kind: 'awareness', update: readBytes(d, 'awareness update', Infinity) };
    case YMessageType.AUTH:
      return { kind: 'auth' };
    case YMessageType.QUERY_AWARENESS:
      return { kind: 'query-awareness' };
    case YMessageType.TRACE_CONTEXT: {
      const traceparent = readString(d, 'traceparent', 512);
      // tracestate is optional on the wire (a bare traceparent is accepted).
      const tracestate = d.pos < d.arr.length ? readString(d, 'tracestate', 1024) : '';
      return { kind: 'trace-context', traceparent, tracestate };
    }
    default:
      return { kind: 'unknown', type };
  }
}

/** Cheap classification (first varuints only) for hooks on outgoing frames. */
export function frameKind(data: Uint8Array): FrameKind {
  try {
    const d = decoding.createDecoder(data);
    const type = decoding.readVarUint(d);
    switch (type) {
      case YMessageType.SYNC: {
        const sub = decoding.readVarUint(d);
        return sub === YSyncType.STEP1
          ? 'sync-step1'
          : sub === YSyncType.STEP2
            ? 'sync-step2'
            : 'sync-update';
      }
      case YMessageType.AWARENESS:
        return 'awareness';
      case YMessageType.AUTH:
        return 'auth';
      case YMessageType.QUERY_AWARENESS:
        return 'query-awareness';
      case YMessageType.TRACE_CONTEXT:
        return 'trace-context';
      default:
        return 'unknown';
    }
  } catch {
    return 'unknown';
  }
}
