/**
 * Cross-pod sync through Redis (`COLLAB_REDIS_URL`): any pod can serve any
 * room. A `CollabExtension` plus a few calls the core makes:
 *
 * - Updates: after a local update is durable (`onUpdate`, origin `client`) it
 *   is published with its storage seq on the room's channel. Other pods that
 *   have the room loaded apply it (`room.applyRemoteUpdate`: applied and
 *   broadcast locally, not persisted again).
 * - Gaps: each pod tracks which seqs of a room it has applied (`SeqTracker`).
 *   A seq gap that does not fill within `gapGraceMs`, a Redis reconnect, a
 *   failed publish (then a `head` message after reconnect) or the periodic
 *   sweep triggers a catch-up from `storage.readAfter`: a missed pub/sub
 *   message never loses an edit. Catch-up right after subscribing closes the
 *   window between loading a room and subscribing to it.
 * - Awareness: local awareness changes are forwarded with their owners' claims
 *   (`presence` messages); remote ones are applied through the room's ownership
 *   rules (`room.applyRemoteAwareness`: an entry for a client id another owner
 *   holds is dropped and counted) with a remote origin, so the core never
 *   attributes them to a local connection. Presence and connection counts stay per pod (each pod counts
 *   its local connections); `/api/rooms` merges the per-pod counts that every
 *   pod keeps in a Redis hash with a TTL (`connectionsByPod`).
 * - Compaction: one owner at a time per room (`SET NX PX` lock with a token),
 *   and a snapshot never claims a seq above the contiguous watermark, so it
 *   cannot skip an update this pod has not applied yet.
 * - Redis down: local clients keep syncing (storage is the source of truth),
 *   readiness reports `degraded`, and everything re-syncs on reconnect.
 *
 * This file holds the Redis connections and their health (start, status, resync after an outage), the
 * pub/sub channel of each room (publish, dispatch of what arrives) and the compaction lock; beside it:
 * the seq tracking and catch-up from storage (`catchUp.ts`), the presence relay with its owners' claims
 * (`presenceRelay.ts`), the per-pod connection counts (`podCounts.ts`) and what the cluster needs from
 * the core (`host.ts`).
 */
import { Redis } from 'ioredis';
import type { Registry, RegistryContentType } from 'prom-client';
import type {
  AwarenessEvent,
  CollabExtension,
  CompactionGrant,
  ConnectionInfo,
  RoomEvent,
  UpdateEvent,
} from '../hooks/index.js';
import type { Logger } from '../observability/logger.js';
import type { Storage } from '../storage/types.js';
import { CatchUp, newRoomLog, type RoomLog } from './catchUp.js';
import {
  channelFor,
  decodeMessage,
  encodeMessage,
  nowMs,
  roomOfChannel,
  type ClusterMessageType,
} from './codec.js';
import type { ClusterHost } from './host.js';
import { acquireLock } from './lock.js';
import { ClusterMetrics } from './metrics.js';
import { PodCounts } from './podCounts.js';
import { PresenceRelay } from './presenceRelay.js';
import { errorMessage } from '@collabblocks/protocol';

/** How long a pod's start waits for each Redis connection to be ready before it starts degraded. */
const START_WAIT_MS = 5000;

export type { CompactionGrant } from '../hooks/index.js';
export type { ClusterHost, ClusterRoom } from './host.js';
export { CLUSTER_UPDATE_ORIGIN } from './catchUp.js';
export { REMOTE_AWARENESS_ORIGIN } from './presenceRelay.js';

export interface ClusterStatus {
  redis: 'up' | 'down';
  /** True while Redis is unreachable: the pod serves its local clients, cross-pod sync resumes on reconnect. */
  degraded: boolean;
  rooms: number;
}

export interface RedisClusterOptions {
  /** `redis://host:port` (never logged). */
  redisUrl: string;
  pod: string;
  storage: Storage;
  logger: Logger;
  /** The pod's metrics registry (observability); a private one when absent. */
  registry?: Registry<RegistryContentType>;
  /** SQLite is single-pod: refuse it unless explicitly allowed (`COLLAB_CLUSTER_ALLOW_SQLITE`). */
  allowSqlite?: boolean;
  /**
   * Wait this long for a missing seq to arrive before reading it from storage. Default 250 ms
   * (late messages are normal under load; truly lost ones are rare and a reconnect resyncs anyway).
   */
  gapGraceMs?: number;
  /** Periodic catch-up of every loaded room from storage (safety net). Default 5000 ms; 0 = off. */
  sweepIntervalMs?: number;
  /** Per-pod connection counts refresh period and TTL. Defaults 5000 / 15000 ms. */
  presenceIntervalMs?: number;
  presenceTtlMs?: number;
  /** Compaction lock lease. Default 30 000 ms. */
  compactionLockMs?: number;
  /** Updates read per catch-up query. Default 500. */
  catchUpBatch?: number;
  /** Key prefix (tests isolate themselves with it). Default `collab:`. */
  keyPrefix?: string;
}

interface RoomState {
  /** Which seqs this pod applied, and its catch-up from storage. */
  log: RoomLog;
  /** Awareness client ids owned by this pod's connections. */
  localAwareness: Set<number>;
}

export class RedisCluster implements CollabExtension {
  readonly name = 'cluster';
  readonly metrics: ClusterMetrics;
  private readonly pub: Redis;
  private readonly sub: Redis;
  private readonly log: Logger;
  private readonly storage: Storage;
  private readonly pod: string;
  private readonly prefix: string;
  private readonly sweepIntervalMs: number;
  private readonly compactionLockMs: number;
  private readonly catchUp: CatchUp;
  private readonly counts: PodCounts;
  private readonly presence: PresenceRelay;
  private host: ClusterHost | null = null;
  private readonly rooms = new Map<string, RoomState>();
  /** Rooms whose last publish failed: a `head` goes out once Redis is back. */
  private readonly unpublished = new Set<string>();
  private readonly compactionRefusedUntil = new Map<string, number>();
  private readonly lastErrorLog = new Map<string, number>();
  private sweepTimer: NodeJS.Timeout | null = null;
  /** Set when a Redis connection dropped; cleared by the resync once both are ready again. */
  private resyncPending = false;
  private stopped = false;

  constructor(opts: RedisClusterOptions) {
    if (!/^rediss?:\/\//.test(opts.redisUrl))
      throw new Error('COLLAB_REDIS_URL must be a redis:// or rediss:// URL');
    if (opts.storage.kind === 'sqlite' && !opts.allowSqlite) {
      throw new Error(
        'cross-pod fan-out (COLLAB_REDIS_URL) needs shared storage: set COLLAB_STORAGE=postgres. ' +
          'SQLite is single-pod (set COLLAB_CLUSTER_ALLOW_SQLITE=true only for pods sharing one data dir for tests).'
      );
    }
    if (!/^[A-Za-z0-9._-]{1,63}$/.test(opts.pod)) throw new Error('pod name must be 1-63 of [A-Za-z0-9._-]');
    this.pod = opts.pod;
    this.storage = opts.storage;
    this.log = opts.logger.child({ component: 'cluster' });
    this.prefix = opts.keyPrefix ?? 'collab:';
    this.sweepIntervalMs = opts.sweepIntervalMs ?? 5000;
    this.compactionLockMs = opts.compactionLockMs ?? 30_000;
    this.metrics = new ClusterMetrics(opts.registry);
    const common = {
      lazyConnect: true,
      connectTimeout: 2000,
      retryStrategy: (times: number) => Math.min(50 * times, 1000),
      connectionName: `collab-${this.pod}`,
      // No CLIENT SETINFO on every (re)connect: Redis before 7.2 (Debian's 7.0) refuses it, and in a chaos run
      // its error surfaced as an unhandled rejection next to ioredis "Command queue state error" on the
      // subscriber connection after a reconnect. The connection name above is what operators see.
      disableClientInfo: true,
    };
    // Commands fail fast while Redis is down (no unbounded offline queue).
    this.pub = new Redis(opts.redisUrl, { ...common, enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    this.sub = new Redis(opts.redisUrl, { ...common, autoResubscribe: true, maxRetriesPerRequest: null });
    this.pub.on('error', (err: Error) => this.redisError('pub', err));
    this.sub.on('error', (err: Error) => this.redisError('sub', err));
    this.pub.on('ready', () => this.onPubReady());
    this.sub.on('ready', () => this.onSubReady());
    for (const c of [this.pub, this.sub]) {
      c.on('close', () => {
        if (!this.stopped) this.resyncPending = true;
        this.updateUp();
      });
    }
    this.sub.on('messageBuffer', (channel: Buffer, message: Buffer) => this.handleMessage(channel, message));
    this.catchUp = new CatchUp({
      storage: this.storage,
      log: this.log,
      metrics: this.metrics,
      gapGraceMs: opts.gapGraceMs ?? 250,
      catchUpBatch: opts.catchUpBatch ?? 500,
      host: () => this.host,
      current: (room) => this.rooms.get(room)?.log,
      rooms: () => this.rooms.keys(),
      stopped: () => this.stopped,
    });
    this.presence = new PresenceRelay({
      log: this.log,
      metrics: this.metrics,
      publish: (room, type, seq, payload) => this.publish(room, type, seq, payload),
    });
    this.counts = new PodCounts({
      redis: this.pub,
      pod: this.pod,
      key: (k) => this.key(k),
      intervalMs: opts.presenceIntervalMs ?? 5000,
      ttlMs: opts.presenceTtlMs ?? 15_000,
      host: () => this.host,
      stopped: () => this.stopped,
      onError: (op, err) => this.redisError(op, err),
    });
  }

  /** The core's room registry; call before rooms load. */
  attach(host: ClusterHost): void {
    this.host = host;
  }

  /**
   * Connects and starts the timers. Waits at most START_WAIT_MS per connection: a pod starts degraded when
   * Redis is down or not ready in time, and ioredis keeps reconnecting in the background (`ready` then
   * resyncs). ioredis's `connectTimeout` bounds only the TCP connect: behind a proxy or load balancer that
   * accepts at once, a stalled link would hold its handshake (CLIENT SETNAME, the INFO ready check) and the
   * pod's start without this bound.
   */
  async start(): Promise<void> {
    const connect = (c: Redis, name: string): Promise<void> => {
      let timer: NodeJS.Timeout | undefined;
      const waited = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          this.log.warn(
            { conn: name, status: c.status, waitedMs: START_WAIT_MS },
            'redis not ready at start; running degraded while it connects'
          );
          resolve();
        }, START_WAIT_MS);
      });
      const connected = c.connect().catch((err: unknown) => {
        this.log.warn(
          { conn: name, err: errorMessage(err) },
          'redis not reachable at start; running degraded'
        );
      });
      return Promise.race([connected, waited]).finally(() => clearTimeout(timer));
    };
    await Promise.all([connect(this.pub, 'pub'), connect(this.sub, 'sub')]);
    this.updateUp();
    if (this.sweepIntervalMs > 0) {
      this.sweepTimer = setInterval(() => void this.catchUp.sweep(), this.sweepIntervalMs);
      this.sweepTimer.unref();
    }
    this.counts.start();
  }

  /** Readiness: `degraded` (still serving) while Redis is unreachable. */
  status(): ClusterStatus {
    const up = this.pub.status === 'ready' && this.sub.status === 'ready';
    return { redis: up ? 'up' : 'down', degraded: !up, rooms: this.rooms.size };
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.sweepTimer) clearTimeout(this.sweepTimer);
    for (const st of this.rooms.values()) this.catchUp.remove(st.log);
    await this.counts.stop();
    this.pub.disconnect();
    this.sub.disconnect();
    this.metrics.redisUp.set(0);
  }

  // ---- hooks ------------------------------------------------------------------

  onRoomLoaded(ev: RoomEvent): void {
    const st: RoomState = { log: newRoomLog(), localAwareness: new Set() };
    this.rooms.set(ev.room, st);
    const baseline = ev.seq;
    if (typeof baseline === 'number') this.catchUp.initTracker(ev.room, st.log, baseline);
    // The core emits this hook once the room is registered: the host can look it up now.
    if (!st.log.tracker) this.catchUp.initTracker(ev.room, st.log, this.host?.get(ev.room)?.seq ?? 0);
    this.sub.subscribe(channelFor(ev.room)).then(
      () => {
        // A SUBSCRIBE queued during an outage completes after reconnect: the room may be gone by then.
        if (this.rooms.get(ev.room) !== st) return;
        this.catchUp.catchUp(ev.room);
        this.exchangeAwareness(ev.room);
      },
      (err: unknown) => this.redisError('subscribe', err)
    );
    this.counts.schedule();
  }

  onRoomUnloaded(ev: RoomEvent): void {
    const st = this.rooms.get(ev.room);
    if (st) this.catchUp.remove(st.log);
    this.rooms.delete(ev.room);
    this.unpublished.delete(ev.room);
    this.compactionRefusedUntil.delete(ev.room);
    // Also while Redis is down: the subscriber connection queues commands (offline queue) and, on
    // reconnect, re-subscribes what it had, then sends the queue in order. Skipping the unsubscribe
    // then would leave the room subscribed (re-subscribed, or subscribed by a queued SUBSCRIBE) with
    // nobody listening — for the life of the pod.
    if (!this.stopped) {
      this.sub.unsubscribe(channelFor(ev.room)).catch((err: unknown) => this.redisError('unsubscribe', err));
    }
    this.counts.schedule();
  }

  onConnect(_conn: ConnectionInfo): void {
    this.counts.schedule();
  }

  onDisconnect(): void {
    this.counts.schedule();
  }

  onUpdate(ev: UpdateEvent): void {
    if (ev.origin !== 'client') return;
    const st = this.rooms.get(ev.room);
    if (st) this.catchUp.local(ev.room, st.log, ev.seq);
    this.publish(ev.room, 'update', ev.seq, ev.update);
  }

  onAwareness(ev: AwarenessEvent): void {
    const st = this.rooms.get(ev.room);
    const room = this.host?.get(ev.room);
    if (!st || !room) return;
    this.presence.local(ev, st.localAwareness, room);
  }

  /**
   * Asked before a room writes a snapshot claiming `seq`: null when another pod
   * holds the room's compaction lock (or Redis is unreachable: compaction is
   * deferred, never run twice at once); else the seq the snapshot may claim.
   */
  async acquireCompaction(room: string, seq: number): Promise<CompactionGrant | null> {
    const st = this.rooms.get(room);
    const tracker = st?.log.tracker;
    const claim = tracker ? Math.min(seq, tracker.watermark) : seq;
    if (claim <= 0) return null;
    if (this.pub.status !== 'ready') return null;
    // A room written on several pods asks on every update past the threshold: back off after a refusal.
    if ((this.compactionRefusedUntil.get(room) ?? 0) > Date.now()) return null;
    try {
      const lock = await acquireLock(this.pub, this.key(`compact:${room}`), this.compactionLockMs);
      if (!lock) {
        this.compactionRefusedUntil.set(room, Date.now() + 1000);
        return null;
      }
      this.compactionRefusedUntil.delete(room);
      return {
        seq: claim,
        release: async () => {
          await lock.release().catch((err: unknown) => this.redisError('lock', err));
        },
      };
    } catch (err) {
      this.redisError('lock', err);
      return null;
    }
  }

  /** Connections per room per pod, from every live pod's hash (for `/api/rooms`). */
  connectionsByPod(): Promise<Map<string, Record<string, number>>> {
    return this.counts.byPod();
  }

  // ---- internals ----------------------------------------------------------------

  private key(k: string): string {
    return this.prefix + k;
  }

  private updateUp(): void {
    this.metrics.redisUp.set(this.status().redis === 'up' ? 1 : 0);
  }

  private redisError(op: string, err: unknown): void {
    this.metrics.redisErrors.inc({ op });
    // While Redis is down every reconnect attempt errors: log each kind at most every 5 s.
    const now = Date.now();
    if (now - (this.lastErrorLog.get(op) ?? 0) < 5000) return;
    this.lastErrorLog.set(op, now);
    this.log.warn({ op, err: errorMessage(err) }, 'redis error');
  }

  private publish(room: string, type: ClusterMessageType, seq: number, payload: Uint8Array): void {
    if (this.pub.status !== 'ready') {
      if (type === 'update' || type === 'head') this.unpublished.add(room);
      return;
    }
    const msg = encodeMessage({ type, pod: this.pod, seq, publishedAt: nowMs(), payload });
    this.pub.publish(channelFor(room), Buffer.from(msg.buffer, msg.byteOffset, msg.byteLength)).then(
      () => this.metrics.messages.inc({ type, direction: 'out' }),
      (err: unknown) => {
        if (type === 'update' || type === 'head') this.unpublished.add(room);
        this.redisError('publish', err);
      }
    );
  }

  private onPubReady(): void {
    this.updateUp();
    void this.counts.write();
    this.resyncIfBack();
  }

  private onSubReady(): void {
    this.updateUp();
    this.resyncIfBack();
  }

  /** Once both connections are back after an outage: heads, catch-up from storage, awareness re-exchange. */
  private resyncIfBack(): void {
    if (!this.resyncPending || this.pub.status !== 'ready' || this.sub.status !== 'ready') return;
    this.resyncPending = false;
    this.log.info({ rooms: this.rooms.size }, 'redis back: catching up every loaded room from storage');
    // Tell the others how far the rooms we could not publish for have gone.
    for (const room of [...this.unpublished]) {
      this.unpublished.delete(room);
      const head = this.rooms.get(room)?.log.tracker?.highest ?? 0;
      if (head > 0) this.publish(room, 'head', head, new Uint8Array(0));
    }
    this.catchUp.catchUpAll();
    for (const room of this.rooms.keys()) this.exchangeAwareness(room);
  }

  /**
   * Once subscribed: ask the other pods for their local awareness states and
   * send ours. Both halves are needed — a pod that subscribed earlier may have
   * queried while we were not listening yet, and states we published before
   * another pod subscribed never reached it (awareness has no log).
   */
  private exchangeAwareness(room: string): void {
    this.publish(room, 'awareness-query', 0, new Uint8Array(0));
    const st = this.rooms.get(room);
    const target = this.host?.get(room);
    if (st && target) this.presence.publishOwned(room, st.localAwareness, target);
  }

  private handleMessage(channelBuf: Buffer, data: Buffer): void {
    const room = roomOfChannel(channelBuf.toString());
    if (room === null) return;
    const msg = decodeMessage(data);
    if (!msg) {
      this.metrics.redisErrors.inc({ op: 'decode' });
      return;
    }
    if (msg.pod === this.pod) return;
    const st = this.rooms.get(room);
    const target = this.host?.get(room);
    if (!st || !target) return;
    switch (msg.type) {
      case 'update':
        this.catchUp.applyRemote(room, st.log, target, msg);
        break;
      case 'awareness-query':
        this.presence.publishOwned(room, st.localAwareness, target);
        break;
      case 'head':
        this.catchUp.head(room, st.log, msg.seq);
        break;
      case 'presence':
        this.presence.applyRemote(room, target, msg.payload);
        break;
      case 'awareness':
        // A pod of the previous version: no owners, so nothing here may apply it (see codec.ts).
        break;
    }
  }
}
