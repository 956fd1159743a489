/**
 * Annotation events, live: joins/leaves of a room (pseudonyms only), room loads/unloads, storage prunes
 * and stream errors. One `annotations` frame (time, title, text, tags), newest `capacity` events.
 *
 * Storage prunes are inferred: the inspect protocol has no compaction or prune event, only `storedBytes`
 * in each pod's `rooms` list (every 5 s). A stored room's size shrinking between two lists is annotated as
 * "Storage pruned" — retention dropping old snapshots/log entries (collab-server docs/POD.md "Storage and
 * retention"). Compaction itself is NOT visible: it adds a snapshot and keeps the log, so storage grows like
 * on any write. Pods sharing one storage report the same shrink: it is annotated once.
 */
import { createDataFrame, type DataFrame, FieldType, type QueryResultMetaNotice } from '@grafana/data';
import type { RoomInfo } from '@collabblocks/protocol';

import type { StreamEvent } from '../stream/types';

export interface AnnotationEvent {
  time: number;
  title: string;
  text: string;
  tags: string[];
}

export class AnnotationLog {
  private events: AnnotationEvent[] = [];
  private readonly roomsSeen = new Map<string, RoomInfo>();
  /** Recent prune annotations (room + size after) so pods sharing storage annotate a shrink once. */
  private readonly recentPrunes = new Map<string, number>();

  constructor(private readonly capacity = 1000) {}

  push(e: AnnotationEvent): void {
    this.events.push(e);
    if (this.events.length > this.capacity) this.events.splice(0, this.events.length - this.capacity);
  }

  /** Folds one stream event; returns true when an annotation was added. */
  onEvent(ev: StreamEvent, roomFilter: string): boolean {
    const before = this.events.length;
    if (ev.type === 'error') {
      this.push({
        time: Date.now(),
        title: 'Inspect error',
        text: `${ev.pod}: ${ev.message}`,
        tags: ['error', ev.code],
      });
    } else if (ev.type === 'message') {
      const m = ev.msg;
      if (m.type === 'presenceSnapshot' || m.type === 'presencePatch') {
        const joined = m.type === 'presencePatch' ? m.joined : [];
        for (const u of joined) {
          this.push({
            time: m.ts,
            title: 'Join',
            text: `${u.user} joined ${m.room}`,
            tags: ['presence', 'join'],
          });
        }
        if (m.type === 'presencePatch') {
          for (const id of m.left) {
            this.push({
              time: m.ts,
              title: 'Leave',
              text: `client ${id} left ${m.room}`,
              tags: ['presence', 'leave'],
            });
          }
        }
      } else if (m.type === 'rooms') {
        for (const r of m.rooms) {
          if (roomFilter && r.room !== roomFilter) continue;
          const key = `${ev.pod}\u0000${r.room}`;
          const prev = this.roomsSeen.get(key);
          this.roomsSeen.set(key, r);
          if (!prev) continue;
          if (
            prev.storedBytes !== undefined &&
            r.storedBytes !== undefined &&
            r.storedBytes < prev.storedBytes &&
            this.firstPrune(r.room, r.storedBytes, m.ts)
          ) {
            this.push({
              time: m.ts,
              title: 'Storage pruned',
              text: `${r.room} (seen by ${ev.pod}): stored ${prev.storedBytes} → ${r.storedBytes} bytes (retention prune)`,
              tags: ['storage', 'prune'],
            });
          }
          if (prev.loaded !== r.loaded) {
            this.push({
              time: m.ts,
              title: r.loaded ? 'Room loaded' : 'Room unloaded',
              text: `${r.room} on ${ev.pod}`,
              tags: ['room', r.loaded ? 'loaded' : 'unloaded'],
            });
          }
        }
      } else if (m.type === 'resync' && m.reason === 'reload') {
        this.push({
          time: Date.now(),
          title: 'Room reloaded',
          text: `${m.room ?? ''} on ${ev.pod}`,
          tags: ['room', 'reload'],
        });
      }
    }
    return this.events.length !== before;
  }

  /** True unless the same shrink (room, size after) was annotated within the last 30 s (another pod). */
  private firstPrune(room: string, bytes: number, ts: number): boolean {
    for (const [k, at] of this.recentPrunes) if (ts - at > 30_000) this.recentPrunes.delete(k);
    const key = `${room}\u0000${bytes}`;
    if (this.recentPrunes.has(key)) return false;
    this.recentPrunes.set(key, ts);
    return true;
  }

  /** The events as Grafana's annotation frame; `range`: only those within [fromMs, toMs]. */
  frame(
    refId: string,
    range?: { fromMs: number; toMs: number },
    notices?: QueryResultMetaNotice[]
  ): DataFrame {
    const ev = this.events
      .filter((e) => !range || (e.time >= range.fromMs && e.time <= range.toMs))
      .sort((a, b) => a.time - b.time);
    return createDataFrame({
      refId,
      name: 'annotations',
      meta: { custom: { annotations: true }, ...(notices?.length ? { notices } : {}) },
      fields: [
        { name: 'time', type: FieldType.time, values: ev.map((e) => e.time) },
        { name: 'title', type: FieldType.string, values: ev.map((e) => e.title) },
        { name: 'text', type: FieldType.string, values: ev.map((e) => e.text) },
        { name: 'tags', type: FieldType.other, values: ev.map((e) => e.tags) },
      ],
    });
  }
}
