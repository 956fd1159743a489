/**
 * The collab pod as a monitor host: `MonitorHost` over the pod's RoomManager (rooms, their doc,
 * awareness and connections), its storage (the timestamped update log and snapshots, SQLite or
 * PostgreSQL, as the monitor's `HistoryStore`) and its hook bus (room events, as a
 * `CollabExtension` named `inspect`).
 */
import type { HostListener, HostRoom, MonitorHost } from '@collabblocks/monitor';
import type { CollabExtension, PodView } from '../hooks/index.js';
import type { Logger } from '../observability/logger.js';
import type { Storage } from '../storage/types.js';

/** The part of `CollabServer` the pod host reads (structural, so tests can pass a real server). */
export interface PodHostServer {
  readonly logger: Logger;
  readonly storage: Storage;
  readonly podView: PodView;
  readonly rooms: { get(roomId: string): HostRoom | undefined };
  addExtension(ext: CollabExtension): void;
}

export function podHost(server: PodHostServer, secret: Uint8Array): MonitorHost {
  return {
    name: server.podView.pod,
    secret,
    room: (name) => server.rooms.get(name),
    rooms: () => server.podView.rooms(),
    history: server.storage,
    logger: server.logger.child({ component: 'inspect' }),
    observe(listener: HostListener): () => void {
      // The hook bus has no removal: a stopped listener is skipped.
      let on = true;
      server.addExtension({
        name: 'inspect',
        wantsFrames: (room) => on && listener.wantsFrames(room),
        onFrame: (ev) => on && listener.onFrame(ev),
        onUpdate: (ev) => on && listener.onUpdate(ev),
        onAwareness: (ev) => on && listener.onAwareness(ev),
        onConnect: (conn) => on && listener.onConnect(conn),
        onDisconnect: (ev) => on && listener.onDisconnect(ev.conn),
        onRoomLoaded: (ev) => on && listener.onRoomLoaded(ev),
        onRoomUnloaded: (ev) => on && listener.onRoomUnloaded(ev),
      });
      return () => {
        on = false;
      };
    },
  };
}
