/** The one way the write path refuses an update: close the sender and report it on the hook bus. */
import type { HookBus } from '../../hooks/index.js';
import type { RoomClient } from '../types.js';

export interface RefusalScope {
  readonly org: string;
  readonly room: string;
  readonly hooks: HookBus;
}

/**
 * Closes `client` with `code` and `closeReason` (what the client sees), and emits `onError`
 * with `report` (what metrics and logs see).
 */
export function refuseUpdate(
  scope: RefusalScope,
  client: RoomClient,
  code: number,
  closeReason: string,
  report: string
): void {
  client.close(code, closeReason);
  scope.hooks.emit('onError', { org: scope.org, room: scope.room, code, reason: report });
}
