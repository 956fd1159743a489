/**
 * What an incoming Hocuspocus message is. A Hocuspocus frame is the document name (varstring), the
 * message type (varuint; 0-3 as in y-websocket, 4 = sync reply, 5+ Hocuspocus's own: stateless,
 * close, sync status, ping/pong) and the payload; the kind is read from the first varuints without
 * decoding the payload, and a truncated frame is `unknown` (Hocuspocus itself rejects it).
 */
import * as decoding from 'lib0/decoding';
import { YMessageType, YSyncType } from '@collabblocks/protocol';
import type { FrameKind } from '@collabblocks/monitor';

/** Hocuspocus's sync reply: a sync message that must not trigger another SyncStep1. */
const SYNC_REPLY = 4;

export function messageKind(message: Uint8Array): FrameKind {
  try {
    const d = decoding.createDecoder(message);
    decoding.readVarString(d);
    const type = decoding.readVarUint(d);
    switch (type) {
      case YMessageType.SYNC:
      case SYNC_REPLY: {
        const sub = decoding.readVarUint(d);
        if (sub === YSyncType.STEP1) return 'sync-step1';
        if (sub === YSyncType.STEP2) return 'sync-step2';
        if (sub === YSyncType.UPDATE) return 'sync-update';
        return 'unknown';
      }
      case YMessageType.AWARENESS:
        return 'awareness';
      case YMessageType.AUTH:
        return 'auth';
      case YMessageType.QUERY_AWARENESS:
        return 'query-awareness';
      default:
        return 'unknown';
    }
  } catch {
    return 'unknown';
  }
}
