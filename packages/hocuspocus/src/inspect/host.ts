/**
 * Hocuspocus as a monitor host (`MonitorHost` of `@collabblocks/monitor`): its loaded documents are
 * the rooms (each a `Y.Doc` with its awareness), its connections come from the `connected` hook, and
 * the room events the inspect streams consume are built from Hocuspocus's hooks:
 *
 * | Host event        | Hocuspocus source                                                            |
 * |-------------------|------------------------------------------------------------------------------|
 * | onConnect / onDisconnect | `connected`, `connection.onClose`                                      |
 * | onUpdate          | `onChange` (author = first client id of the update; seq from the update log) |
 * | onAwareness       | `onAwarenessUpdate` (its `connection` owns the added client ids)             |
 * | onFrame (in)      | `beforeHandleMessage` (the raw frame)                                         |
 * | onFrame (out)     | the connection's `send`, wrapped at `connected` (Hocuspocus has no hook)      |
 * | onRoomLoaded / Unloaded | `afterLoadDocument`, `afterUnloadDocument`                              |
 *
 * Frames are only decoded and reported while a traffic or metrics subscriber watches the room
 * (`wantsFrames`); without subscribers each hook is a few map lookups.
 */
import * as decoding from 'lib0/decoding';
import type { Connection, Document } from '@hocuspocus/server';
import type {
  HistoryStore,
  HostListener,
  HostRoom,
  MonitorHost,
  MonitorLogger,
  RoomStats,
} from '@collabblocks/monitor';
import { messageKind } from '../messages.js';
import type { RoomRef } from '../rooms.js';
import { connectionInfo, RoomConnections, type ConnEntry, type UserOf } from './connections.js';

/** The first client id in a v1 Yjs update (its author), read from the header only; 0 when none. */
export function authorOf(update: Uint8Array): number {
  try {
    const d = decoding.createDecoder(update);
    if (decoding.readVarUint(d) === 0) return 0;
    decoding.readVarUint(d);
    return decoding.readVarUint(d);
  } catch {
    return 0;
  }
}

export interface HocuspocusHostOptions {
  name: string;
  secret: Uint8Array;
  history?: HistoryStore;
  logger?: MonitorLogger;
  userOf?: UserOf;
  /** Loaded document by name (Hocuspocus's `instance.documents`). */
  document(documentName: string): Document | undefined;
}

export class HocuspocusHost implements MonitorHost {
  readonly name: string;
  readonly secret: Uint8Array;
  readonly history?: HistoryStore;
  readonly logger?: MonitorLogger;
  private readonly listeners = new Set<HostListener>();
  /** Mapped rooms loaded here: room id → document name and live bookkeeping. */
  private readonly loaded = new Map<string, { documentName: string; conns: RoomConnections }>();
  /** Connection → its entry and room (for awareness ownership and closes). */
  private readonly conns = new WeakMap<Connection, { entry: ConnEntry; ref: RoomRef }>();

  constructor(private readonly opts: HocuspocusHostOptions) {
    this.name = opts.name;
    this.secret = opts.secret;
    if (opts.history) this.history = opts.history;
    if (opts.logger) this.logger = opts.logger;
  }

  room(name: string): HostRoom | undefined {
    const l = this.loaded.get(name);
    const doc = l && this.opts.document(l.documentName);
    if (!l || !doc) return undefined;
    return {
      doc,
      awareness: doc.awareness,
      connections: l.conns.clients,
      stats: () => l.conns.stats(doc.awareness.getStates().size),
    };
  }

  rooms(): RoomStats[] {
    const out: RoomStats[] = [];
    for (const { documentName, conns } of this.loaded.values()) {
      const doc = this.opts.document(documentName);
      if (doc) out.push(conns.stats(doc.awareness.getStates().size));
    }
    return out;
  }

  observe(listener: HostListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  private emit(fn: (l: HostListener) => void): void {
    for (const l of this.listeners) {
      try {
        fn(l);
      } catch (err) {
        this.logger?.warn({ err: String(err) }, 'inspect listener failed');
      }
    }
  }

  private wantsFrames(room: string): boolean {
    for (const l of this.listeners) if (l.wantsFrames(room)) return true;
    return false;
  }

  // ---- Fed by the extension's hooks (only for documents mapped to a room). ----

  roomLoaded(ref: RoomRef, documentName: string, durationMs: number | undefined, stateBytes: number): void {
    const conns = new RoomConnections(ref.id, ref.org);
    conns.docBytes = stateBytes;
    this.loaded.set(ref.id, { documentName, conns });
    this.emit((l) =>
      l.onRoomLoaded({ room: ref.id, org: ref.org, ...(durationMs !== undefined ? { durationMs } : {}) })
    );
  }

  roomUnloaded(ref: RoomRef): void {
    if (!this.loaded.delete(ref.id)) return;
    this.emit((l) => l.onRoomUnloaded({ room: ref.id, org: ref.org }));
  }

  connected(ref: RoomRef, connection: Connection, context: unknown): void {
    const l = this.loaded.get(ref.id);
    if (!l) return;
    const info = connectionInfo(this.secret, ref.id, ref.org, this.opts.userOf?.(context));
    const entry: ConnEntry = { info };
    l.conns.byConn.set(connection, entry);
    l.conns.clients.set(entry, new Set());
    l.conns.lastActivity = Date.now();
    this.conns.set(connection, { entry, ref });
    this.wrapSend(connection, ref, info.id);
    this.emit((x) => x.onConnect(info));
  }

  closed(connection: Connection): void {
    const c = this.conns.get(connection);
    if (!c) return;
    this.conns.delete(connection);
    const l = this.loaded.get(c.ref.id);
    if (l) {
      l.conns.byConn.delete(connection);
      l.conns.clients.delete(c.entry);
    }
    this.emit((x) => x.onDisconnect(c.entry.info));
  }

  /** Outgoing frames have no hook: the connection's `send` reports them while someone watches. */
  private wrapSend(connection: Connection, ref: RoomRef, connId: string): void {
    const send = connection.send.bind(connection);
    connection.send = (message: Uint8Array) => {
      if (this.listeners.size > 0 && this.wantsFrames(ref.id)) this.frame(ref, connId, 'out', message);
      send(message);
    };
  }

  private frame(ref: RoomRef, connId: string, direction: 'in' | 'out', data: Uint8Array): void {
    const ev = {
      room: ref.id,
      org: ref.org,
      connId,
      direction,
      kind: messageKind(data),
      bytes: data.byteLength,
      ts: Date.now(),
      data,
    };
    this.emit((l) => l.onFrame(ev));
  }

  message(ref: RoomRef, connection: Connection, data: Uint8Array): void {
    if (this.listeners.size === 0 || !this.wantsFrames(ref.id)) return;
    const c = this.conns.get(connection);
    if (c) this.frame(ref, c.entry.info.id, 'in', data);
  }

  updated(
    ref: RoomRef,
    connection: Connection | undefined,
    update: Uint8Array,
    seq: number,
    durationMs: number
  ): void {
    const l = this.loaded.get(ref.id);
    if (l) {
      l.conns.ops += 1;
      l.conns.docBytes += update.byteLength;
      l.conns.lastActivity = Date.now();
    }
    if (this.listeners.size === 0) return;
    const connId = connection ? this.conns.get(connection)?.entry.info.id : undefined;
    const ev = {
      room: ref.id,
      org: ref.org,
      ...(connId !== undefined ? { connId } : {}),
      origin: connection ? ('client' as const) : ('remote' as const),
      clientId: authorOf(update),
      update,
      seq,
      ts: Date.now(),
      durationMs: Number.isFinite(durationMs) ? durationMs : 0,
    };
    this.emit((x) => x.onUpdate(ev));
  }

  awareness(
    ref: RoomRef,
    connection: Connection | undefined,
    added: number[],
    updated: number[],
    removed: number[]
  ): void {
    const c = connection ? this.conns.get(connection) : undefined;
    const l = this.loaded.get(ref.id);
    if (c && l) {
      const owned = l.conns.clients.get(c.entry);
      if (owned) {
        for (const id of added) owned.add(id);
        for (const id of updated) owned.add(id);
        for (const id of removed) owned.delete(id);
      }
    } else if (l) {
      // Removed by Hocuspocus itself (a closed connection's states): no owner any more.
      for (const set of l.conns.clients.values()) for (const id of removed) set.delete(id);
    }
    if (l) l.conns.lastActivity = Date.now();
    if (this.listeners.size === 0) return;
    const ev = {
      room: ref.id,
      org: ref.org,
      ...(c ? { connId: c.entry.info.id } : {}),
      added,
      updated,
      removed,
    };
    this.emit((x) => x.onAwareness(ev));
  }
}
