/**
 * The tenancy guard of every backend path: a room is read only when it is of the org the datasource's API
 * key belongs to (the org of an inspect token minted with that key). Checked here, before any pod sees the
 * request — the pods refuse another org's room too, but the backend never asks. Fails closed: no token, no
 * room; and a content channel needs a content token (a metadata-only key never runs one).
 */
import { errorMessage, type InspectScope, parseRoomName } from '@collabblocks/protocol';

import type { Instance } from './instance';

export class OrgRefused extends Error {
  override name = 'OrgRefused';
  constructor(
    /** `no_token`: the key minted nothing (wrong key, no pod); `wrong_org` / `scope`: refused. */
    readonly reason: 'no_token' | 'wrong_org' | 'scope',
    message: string
  ) {
    super(message);
  }
}

/** Resolves when `room` may be read with the instance's key in `scope`; throws OrgRefused otherwise. */
export async function checkRoomOrg(
  instance: Instance,
  scope: InspectScope,
  room: string,
  opts: { exactScope?: boolean } = {}
): Promise<void> {
  let token: { org?: string; scope: InspectScope };
  try {
    token = await instance.tokens[scope].get();
  } catch (err) {
    throw new OrgRefused('no_token', `no inspect token: ${errorMessage(err)}`);
  }
  if (opts.exactScope && token.scope !== scope) {
    throw new OrgRefused('scope', `the datasource's API key does not grant ${scope} scope`);
  }
  const parsed = parseRoomName(room);
  if (!parsed.ok) throw new OrgRefused('wrong_org', `room "${room.slice(0, 130)}": ${parsed.error}`);
  if (!token.org || parsed.value.org !== token.org) {
    throw new OrgRefused('wrong_org', `room ${room.slice(0, 130)} is not of this datasource's org`);
  }
}
