/**
 * Which org and room a Hocuspocus document belongs to. The default is our pod's rule: a document
 * named `<org>/<room>` (two lowercase slugs, `parseRoomName` of the wire protocol). A deployment with
 * another naming scheme passes its own `roomName(documentName)`; a document it maps to `null` is
 * still served by Hocuspocus but belongs to no org: it counts in metrics under `org="_unknown"`,
 * `room_id="_other"`, and no inspect token can see it.
 */
import { parseRoomName } from '@collabblocks/protocol';
import { OTHER_ROOM, UNKNOWN_ORG } from '@collabblocks/monitor';

export interface MappedRoom {
  org: string;
  /** The room slug inside the org. */
  room: string;
}

/** A document's org and room, or null when it belongs to none. */
export type RoomNameMapper = (documentName: string) => MappedRoom | null;

/** The room a document is watched as: `id` is `<org>/<room>`, the key the metrics and inspect use. */
export interface RoomRef {
  org: string;
  room: string;
  id: string;
  /** False for a document the mapping refused (metrics count it folded; inspect never shows it). */
  mapped: boolean;
}

export const defaultRoomName: RoomNameMapper = (documentName) => {
  const r = parseRoomName(documentName);
  return r.ok ? { org: r.value.org, room: r.value.room } : null;
};

/** The one ref every unmapped document shares: always folded into `room_id="_other"`. */
export const UNMAPPED_ROOM: RoomRef = {
  org: UNKNOWN_ORG,
  room: OTHER_ROOM,
  id: `${UNKNOWN_ORG}/${OTHER_ROOM}`,
  mapped: false,
};

/**
 * Resolves document names to rooms, caching one ref per loaded document (Hocuspocus hooks name the
 * document on every call). A custom mapper's answer is validated like a room name: slugs only, so a
 * mapper can never put an unbounded or unsafe string into a label or a room path.
 */
export class RoomResolver {
  private readonly cache = new Map<string, RoomRef>();

  constructor(private readonly mapper: RoomNameMapper = defaultRoomName) {}

  of(documentName: string): RoomRef {
    let ref = this.cache.get(documentName);
    if (ref) return ref;
    ref = this.resolve(documentName);
    this.cache.set(documentName, ref);
    return ref;
  }

  /** Forgets a document's ref (after Hocuspocus unloaded it), so the cache holds loaded documents only. */
  forget(documentName: string): void {
    this.cache.delete(documentName);
  }

  private resolve(documentName: string): RoomRef {
    let m: MappedRoom | null;
    try {
      m = this.mapper(documentName);
    } catch {
      return UNMAPPED_ROOM;
    }
    if (!m) return UNMAPPED_ROOM;
    const checked = parseRoomName(`${m.org}/${m.room}`);
    if (!checked.ok) return UNMAPPED_ROOM;
    return { org: checked.value.org, room: checked.value.room, id: checked.value.id, mapped: true };
  }
}
