/**
 * Cross-pod messages on Redis pub/sub, one channel per room. Binary (lib0):
 *   varuint version, varuint type, varstring pod, varuint seq,
 *   float64 publishedAt (epoch ms, sub-ms precision), varuint8array payload.
 * `update`: a durable Yjs update and its storage seq; `awareness`: a y-protocols
 * awareness update; `head`: "the room's log reaches `seq`" (payload empty),
 * sent after a publish failed so receivers notice a gap and catch up;
 * `awareness-query`: a pod that just subscribed (or reconnected) asks the
 * others to re-send their local awareness states (awareness has no log);
 * `presence`: an awareness update with the claim of each of its entries' owner
 * (who may set or remove that client id, see `rooms/awareness/owners.ts`):
 * varuint n, n × (varuint id, varstring owner, varstring principal,
 * float64 since), then the y-protocols update as varuint8array. Pods publish
 * `presence`; a plain `awareness` message (a pod of the previous version,
 * during a rolling upgrade) carries no owners and is ignored.
 */
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';

export const CODEC_VERSION = 1;

export type ClusterMessageType = 'update' | 'awareness' | 'head' | 'awareness-query' | 'presence';

const TYPE_CODE: Record<ClusterMessageType, number> = {
  update: 1,
  awareness: 2,
  head: 3,
  'awareness-query': 4,
  presence: 5,
};
const CODE_TYPE = new Map<number, ClusterMessageType>(
  (Object.entries(TYPE_CODE) as Array<[ClusterMessageType, number]>).map(([k, v]) => [v, k])
);

export interface ClusterMessage {
  type: ClusterMessageType;
  pod: string;
  seq: number;
  publishedAt: number;
  payload: Uint8Array;
}

/** Channel prefix; the room id (`<org>/<room>`, slugs only) follows. */
export const CHANNEL_PREFIX = 'collab:room:';

export function channelFor(room: string): string {
  return CHANNEL_PREFIX + room;
}

export function roomOfChannel(channel: string): string | null {
  return channel.startsWith(CHANNEL_PREFIX) ? channel.slice(CHANNEL_PREFIX.length) : null;
}

export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

export function encodeMessage(msg: ClusterMessage): Uint8Array {
  const enc = encoding.createEncoder();
  encoding.writeVarUint(enc, CODEC_VERSION);
  encoding.writeVarUint(enc, TYPE_CODE[msg.type]);
  encoding.writeVarString(enc, msg.pod);
  encoding.writeVarUint(enc, msg.seq);
  encoding.writeFloat64(enc, msg.publishedAt);
  encoding.writeVarUint8Array(enc, msg.payload);
  return encoding.toUint8Array(enc);
}

/** Decodes a message; returns null for anything malformed or of another version (never throws). */
export function decodeMessage(data: Uint8Array): ClusterMessage | null {
  try {
    const dec = decoding.createDecoder(data);
    if (decoding.readVarUint(dec) !== CODEC_VERSION) return null;
    const type = CODE_TYPE.get(decoding.readVarUint(dec));
    if (!type) return null;
    const pod = decoding.readVarString(dec);
    const seq = decoding.readVarUint(dec);
    const publishedAt = decoding.readFloat64(dec);
    const payload = decoding.readVarUint8Array(dec);
    if (decoding.hasContent(dec) || !Number.isFinite(publishedAt)) return null;
    return { type, pod, seq, publishedAt, payload };
  } catch {
    return null;
  }
}

/** One owner's claim on an awareness client id (`presence` payloads). */
export interface WireClaim {
  id: number;
  owner: string;
  principal: string;
  since: number;
}

export function encodePresence(claims: readonly WireClaim[], update: Uint8Array): Uint8Array {
  const enc = encoding.createEncoder();
  encoding.writeVarUint(enc, claims.length);
  for (const c of claims) {
    encoding.writeVarUint(enc, c.id);
    encoding.writeVarString(enc, c.owner);
    encoding.writeVarString(enc, c.principal);
    encoding.writeFloat64(enc, c.since);
  }
  encoding.writeVarUint8Array(enc, update);
  return encoding.toUint8Array(enc);
}

/** Decodes a `presence` payload; null for anything malformed (never throws). */
export function decodePresence(payload: Uint8Array): { claims: WireClaim[]; update: Uint8Array } | null {
  try {
    const dec = decoding.createDecoder(payload);
    const n = decoding.readVarUint(dec);
    if (n > payload.byteLength) return null;
    const claims: WireClaim[] = [];
    for (let i = 0; i < n; i++) {
      const id = decoding.readVarUint(dec);
      const owner = decoding.readVarString(dec);
      const principal = decoding.readVarString(dec);
      const since = decoding.readFloat64(dec);
      if (!Number.isFinite(since)) return null;
      claims.push({ id, owner, principal, since });
    }
    const update = decoding.readVarUint8Array(dec);
    if (decoding.hasContent(dec)) return null;
    return { claims, update };
  } catch {
    return null;
  }
}
