/**
 * The pod's loaded rooms. A room is loaded on first connect (concurrent first
 * connects share one load), and unloaded after `idleMs` without connections
 * (flush + final compaction). A connect that arrives while its room is
 * unloading waits for the unload and then loads it again, so the doc is never
 * served from a half-closed room. `maxRooms` bounds loaded + loading rooms.
 */
import type { RoomRuntimeStats } from '../hooks/index.js';
import type { Logger } from '../observability/logger.js';
import type { Storage } from '../storage/types.js';
import type { HookBus } from '../hooks/index.js';
import { Room, type RoomOptions } from './room.js';

export class RoomLimitError extends Error {
  constructor(max: number) {
    super(`room limit reached (${max} loaded rooms)`);
    this.name = 'RoomLimitError';
  }
}

/** The pod is shutting down: clients should reconnect (to another pod). */
export class ShuttingDownError extends Error {
  constructor() {
    super('pod is shutting down');
    this.name = 'ShuttingDownError';
  }
}

export interface RoomManagerDeps {
  storage: Storage;
  hooks: HookBus;
  logger: Logger;
  options: RoomOptions & { maxRooms: number };
}

export class RoomManager {
  private readonly rooms = new Map<string, Room>();
  private readonly loading = new Map<string, Promise<Room>>();
  private readonly unloading = new Map<string, Promise<void>>();
  private shuttingDown = false;

  constructor(private readonly deps: RoomManagerDeps) {}

  /** The open room with this `<org>/<room>` id, if loaded. */
  get(roomId: string): Room | undefined {
    const r = this.rooms.get(roomId);
    return r && r.state === 'open' ? r : undefined;
  }

  /** Every open room. */
  list(): Room[] {
    return [...this.rooms.values()].filter((r) => r.state === 'open');
  }

  get size(): number {
    return this.rooms.size + this.loading.size;
  }

  stats(): RoomRuntimeStats[] {
    return this.list().map((r) => r.stats());
  }

  /**
   * Returns the open room, loading it if needed. The caller must `join` in the
   * same synchronous continuation (an open room with no connections only
   * unloads from a timer, which cannot run in between).
   */
  async acquire(roomId: string): Promise<Room> {
    for (;;) {
      if (this.shuttingDown) throw new ShuttingDownError();
      const pendingUnload = this.unloading.get(roomId);
      if (pendingUnload) {
        await pendingUnload;
        continue;
      }
      const open = this.rooms.get(roomId);
      if (open) {
        if (open.state === 'open') return open;
        await open.close();
        continue;
      }
      let loading = this.loading.get(roomId);
      if (!loading) {
        if (this.size >= this.deps.options.maxRooms) throw new RoomLimitError(this.deps.options.maxRooms);
        loading = this.load(roomId);
        this.loading.set(roomId, loading);
      }
      const room = await loading;
      if (room.state === 'open') return room;
    }
  }

  private async load(roomId: string): Promise<Room> {
    this.deps.logger.debug({ room: roomId }, 'room loading');
    try {
      const room = await Room.load(roomId, {
        storage: this.deps.storage,
        hooks: this.deps.hooks,
        logger: this.deps.logger,
        options: this.deps.options,
        onIdle: (r) => void this.unload(r),
      });
      this.rooms.set(roomId, room);
      this.deps.logger.debug({ room: roomId, ms: Math.round(room.loadMs) }, 'room loaded');
      // Registered first: a hook reacting to the load can look the room up.
      this.deps.hooks.emit('onRoomLoaded', {
        room: roomId,
        org: room.org,
        durationMs: room.loadMs,
        seq: room.seq,
      });
      return room;
    } finally {
      this.loading.delete(roomId);
    }
  }

  /** Unloads one room (idle). Safe to call more than once. */
  unload(room: Room): Promise<void> {
    const existing = this.unloading.get(room.id);
    if (existing) return existing;
    const p = room
      .close()
      .catch((err: unknown) => {
        this.deps.logger.error(
          { room: room.id, err: (err as Error)?.message ?? String(err) },
          'room unload failed'
        );
      })
      .finally(() => {
        if (this.rooms.get(room.id) === room) this.rooms.delete(room.id);
        this.unloading.delete(room.id);
      });
    this.unloading.set(room.id, p);
    return p;
  }

  /** Shutdown: refuses new acquires, waits for loads, then unloads every room (final compaction). */
  async closeAll(): Promise<void> {
    this.shuttingDown = true;
    await Promise.allSettled([...this.loading.values()]);
    await Promise.allSettled([...this.rooms.values()].map((r) => this.unload(r)));
    await Promise.allSettled([...this.unloading.values()]);
  }

  /** Resolves when every loaded room has persisted and applied what it received. */
  async drainAll(): Promise<void> {
    await Promise.allSettled([...this.rooms.values()].map((r) => r.drain()));
  }
}
