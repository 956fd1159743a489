/**
 * The write path of one room, strictly in arrival order:
 *
 *   validate  decode (`validate.ts`), then apply to the shadow doc (`shadow.ts`):
 *             garbage and updates that cannot be applied never reach storage
 *   append    `storage.append`, issued at once so it joins this tick's group commit
 *   durable   the append's result, consumed through a per-room promise chain, so
 *             updates are applied in seq order even if they came from different
 *             connections
 *   apply     to the doc
 *   broadcast to the other local connections
 *   report    `onUpdate`, then compaction when enough ops piled up
 *
 * Nothing acknowledged is lost: an update is applied and broadcast only once it
 * is durable. A failed append closes the sender with STORAGE_UNAVAILABLE and the
 * update is neither applied nor broadcast (the stock client re-sends its state
 * on reconnect). Every refusal goes through `refuseUpdate`; every span through
 * `UpdateSpans`.
 */
import type { Context } from '@opentelemetry/api';
import * as Y from 'yjs';
import { CloseCode } from '@collabblocks/protocol';
import type { HookBus } from '../../hooks/index.js';
import type { Logger } from '../../observability/logger.js';
import type { Storage } from '../../storage/types.js';
import { encodeSyncUpdate } from '../frames.js';
import type { RoomClient, RoomProgress, RoomState, UpdateResult } from '../types.js';
import { refuseUpdate } from './refuse.js';
import type { NewClientIds } from './clientIds.js';
import type { ShadowValidator } from './shadow.js';
import { UpdateSpans } from './spans.js';
import { inspectUpdate, pendingDeleteRanges } from './validate.js';

/** What the write path needs from its room. */
export interface UpdateHost {
  readonly id: string;
  readonly org: string;
  readonly doc: Y.Doc;
  /** The room's current state (read at each step: the room may close while an append is in flight). */
  state(): RoomState;
  readonly storage: Storage;
  readonly hooks: HookBus;
  readonly logger: Logger;
  readonly progress: RoomProgress;
  readonly shadow: ShadowValidator;
  /** Budget of client ids new to the room, per connection. */
  readonly clientIds: NewClientIds;
  /** Most pending delete ranges (content the room does not have) a client update may leave behind. */
  readonly maxPendingDeleteRanges: number;
  /** Marks the room active (idle unload). */
  touch(): void;
  /** Sends a frame to every local connection except `except`; returns the recipient count. */
  broadcast(frame: Uint8Array, except: RoomClient | null): number;
  /** Called after each applied update (compaction trigger). */
  afterApply(): void;
}

type Durable = { ok: true; seq: number } | { ok: false; err: unknown };

/** One accepted update on its way through the steps. */
interface Pending {
  client: RoomClient;
  update: Uint8Array;
  clientId: number;
  ts: number;
  received: number;
  spans: UpdateSpans;
  durable: Promise<Durable>;
}

export class UpdatePipeline {
  private chain: Promise<void> = Promise.resolve();
  /** Updates appended but not yet consumed (applied, refused or dropped). */
  pendingDurable = 0;

  constructor(private readonly room: UpdateHost) {}

  /**
   * Submits a client update (sync step 2 or update). Resolves once it has been
   * persisted, applied and broadcast, or refused. The caller must have
   * validated nothing: this method validates before persisting.
   */
  submit(client: RoomClient, update: Uint8Array, parent?: Context): Promise<UpdateResult> {
    const received = performance.now();
    if (this.room.state() !== 'open') return Promise.resolve('closed');
    const check = this.validate(client, update);
    if (typeof check === 'string') return Promise.resolve(check);
    const pending = this.append(client, update, check.clientId, received, parent);
    const result = this.chain.then(() => this.complete(pending));
    this.chain = result.then(
      () => undefined,
      () => undefined
    );
    return result;
  }

  /** Resolves once every submitted update has been persisted (or refused) and applied. */
  drain(): Promise<void> {
    return this.chain;
  }

  /** Step: validate (decode, delete-set cost, then shadow apply). Refuses the sender when invalid. */
  private validate(client: RoomClient, update: Uint8Array): { clientId: number } | 'invalid' | 'empty' {
    const reference = this.room.shadow.reference();
    const check = inspectUpdate(update, reference);
    if (!check.ok) {
      this.refuse(client, CloseCode.INVALID_UPDATE, 'invalid Yjs update', 'invalid update');
      return 'invalid';
    }
    if (check.empty) return 'empty';
    if (!this.room.clientIds.admit(client, check.authors)) {
      this.room.hooks.emit('onLimit', { org: this.room.org, limit: 'new-client-ids', action: 'closed' });
      this.refuse(
        client,
        CloseCode.UPDATE_BUDGET_EXCEEDED,
        'more client ids new to the room than one connection may introduce',
        'new client ids over budget'
      );
      return 'invalid';
    }
    if (check.unknownDeleteRanges > 0) {
      const max = this.room.maxPendingDeleteRanges;
      if (check.unknownDeleteRanges + pendingDeleteRanges(reference) > max) {
        this.refuse(
          client,
          CloseCode.DELETE_SET_TOO_LARGE,
          `delete set too large: more than ${max} delete ranges for content the room does not have`,
          'delete set too large'
        );
        return 'invalid';
      }
    }
    if (!this.room.shadow.validate(update)) {
      this.refuse(
        client,
        CloseCode.INVALID_UPDATE,
        'invalid Yjs update: cannot be applied',
        'update cannot be applied'
      );
      return 'invalid';
    }
    return { clientId: check.clientId };
  }

  /** Step: append. Issued now (joins this tick's group commit); consumed in order by `complete`. */
  private append(
    client: RoomClient,
    update: Uint8Array,
    clientId: number,
    received: number,
    parent: Context | undefined
  ): Pending {
    const { room } = this;
    room.touch();
    const spans = new UpdateSpans(room.org, room.id, update.byteLength, room.storage.kind, parent);
    const ts = Date.now();
    this.pendingDurable += 1;
    const durable = room.storage.append(room.id, [{ clientId, ts, update }]).then(
      (seqs): Durable => ({ ok: true, seq: seqs[0] ?? 0 }),
      (err: unknown): Durable => {
        // Refused (e.g. PostgreSQL down and the hold bound reached): tell the writer now rather than
        // after the held updates queued ahead of it (it was never applied nor broadcast).
        client.close(CloseCode.STORAGE_UNAVAILABLE, 'storage unavailable');
        return { ok: false, err };
      }
    );
    return { client, update, clientId, ts, received, spans, durable };
  }

  /** Steps durable → apply → broadcast → report, in arrival order. */
  private async complete(p: Pending): Promise<UpdateResult> {
    const res = await p.durable;
    this.pendingDurable -= 1;
    if (!res.ok) return this.storageFailed(p, res.err);
    this.persisted(p, res.seq);
    if (this.room.state() === 'closed') {
      // Durable but the doc is gone (shutdown raced us): it will be loaded next time.
      p.spans.end();
      return 'closed';
    }
    if (!this.apply(p, res.seq)) return 'invalid';
    p.spans.broadcast(() => this.room.broadcast(encodeSyncUpdate(p.update), p.client));
    p.spans.end(res.seq);
    this.report(p, res.seq);
    return 'applied';
  }

  /** The append failed: the update is neither applied nor broadcast; the sender is refused. */
  private storageFailed(p: Pending, err: unknown): UpdateResult {
    const { room } = this;
    // The shadow already has this update; resync it from the doc before the next validation.
    room.shadow.markDirty();
    p.spans.persistFailed(err);
    room.logger.error(
      { room: room.id, err: (err as Error)?.message ?? String(err) },
      'storage write failed; update refused'
    );
    this.refuse(p.client, CloseCode.STORAGE_UNAVAILABLE, 'storage unavailable', 'storage write failed');
    return 'storage-failed';
  }

  /** The append is durable: `onPersist` (backend, count, bytes, latency since arrival). */
  private persisted(p: Pending, seq: number): void {
    const { room } = this;
    const persistMs = performance.now() - p.received;
    const traceId = p.spans.persisted(seq);
    room.hooks.emit('onPersist', {
      orgs: [room.org],
      backend: room.storage.kind,
      count: 1,
      bytes: p.update.byteLength,
      durationMs: persistMs,
      ...(traceId !== undefined ? { traceId } : {}),
    });
  }

  /** Step: apply to the doc and advance the progress counters. False when the apply threw. */
  private apply(p: Pending, seq: number): boolean {
    const { room } = this;
    const progress = room.progress;
    p.spans.startApply();
    const t0 = performance.now();
    try {
      Y.applyUpdate(room.doc, p.update, p.client);
    } catch (err) {
      // Validated on the shadow, so this should not happen. It is durable (load skips it), but it is
      // not broadcast: the sender is refused and the others never see it.
      p.spans.applyFailed(err);
      room.shadow.markDirty();
      room.logger.error({ room: room.id, seq }, 'durable update failed to apply');
      this.refuse(
        p.client,
        CloseCode.INVALID_UPDATE,
        'invalid Yjs update: cannot be applied',
        'durable update failed to apply'
      );
      progress.lastSeq = Math.max(progress.lastSeq, seq);
      return false;
    }
    p.spans.applied();
    // The apply's cost counts against the sender's and its room's CPU budgets.
    p.client.charge?.(performance.now() - t0);
    progress.lastSeq = Math.max(progress.lastSeq, seq);
    progress.lastTs = Math.max(progress.lastTs, p.ts);
    progress.ops += 1;
    progress.opsSinceSnapshot += 1;
    progress.bytesSinceSnapshot += p.update.byteLength;
    return true;
  }

  /** Step: report (`onUpdate`), then let the room compact. */
  private report(p: Pending, seq: number): void {
    const { room } = this;
    room.hooks.emit('onUpdate', {
      room: room.id,
      org: room.org,
      connId: p.client.id,
      origin: 'client',
      clientId: p.clientId,
      update: p.update,
      seq,
      ts: p.ts,
      durationMs: performance.now() - p.received,
    });
    room.shadow.settled();
    room.afterApply();
  }

  private refuse(client: RoomClient, code: number, closeReason: string, report: string): void {
    refuseUpdate(
      { org: this.room.org, room: this.room.id, hooks: this.room.hooks },
      client,
      code,
      closeReason,
      report
    );
  }
}
