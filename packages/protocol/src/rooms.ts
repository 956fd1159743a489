/**
 * Room names are `<org>/<room>`. Both parts are lowercase slugs so that a room
 * name can never smuggle a path (`..`, `%2e`, `/`), a query or a label value
 * that breaks Prometheus or log parsing.
 */
export const SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9_-]{0,62})$/;

export interface RoomName {
  /** Organisation slug (the JWT `org` claim must equal it). */
  org: string;
  /** Room slug inside the org. */
  room: string;
  /** Canonical `<org>/<room>`. */
  id: string;
}

export type RoomNameResult = { ok: true; value: RoomName } | { ok: false; error: string };

export function isSlug(value: string): boolean {
  return SLUG_PATTERN.test(value);
}

/** Parses `<org>/<room>` (no leading slash, no query). */
export function parseRoomName(input: string): RoomNameResult {
  if (typeof input !== 'string' || input.length === 0) {
    return { ok: false, error: 'room name is empty; expected <org>/<room>' };
  }
  if (input.length > 127) {
    return { ok: false, error: 'room name is longer than 127 characters' };
  }
  const parts = input.split('/');
  if (parts.length !== 2) {
    return { ok: false, error: 'room name must have exactly two parts: <org>/<room>' };
  }
  const [org, room] = parts as [string, string];
  if (!isSlug(org)) {
    return { ok: false, error: 'org must match ' + SLUG_PATTERN.source };
  }
  if (!isSlug(room)) {
    return { ok: false, error: 'room must match ' + SLUG_PATTERN.source };
  }
  return { ok: true, value: { org, room, id: `${org}/${room}` } };
}

/**
 * Parses the path of a WebSocket upgrade request (`/<org>/<room>`), rejecting
 * percent-encoding and dot segments before any decoding happens.
 */
export function parseRoomPath(pathname: string): RoomNameResult {
  if (!pathname.startsWith('/')) {
    return { ok: false, error: 'path must start with /' };
  }
  if (/%|\\|\/\/|(^|\/)\.\.?(\/|$)/.test(pathname)) {
    return { ok: false, error: 'path contains encoded characters, backslashes or dot segments' };
  }
  return parseRoomName(pathname.slice(1));
}
