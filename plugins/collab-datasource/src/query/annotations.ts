/**
 * Annotation events, live: joins/leaves of a room (pseudonyms only), room
 * loads/unloads and compactions (a stored room's log shrinking) from the
 * rooms stream, and stream errors. One `annotations` frame (time, title,
 * text, tags), newest `capacity` events.
 */
import { createDataFrame, type DataFrame, FieldType } from '@grafana/data';
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
            r.storedBytes < prev.storedBytes
          ) {
            this.push({
              time: m.ts,
              title: 'Compaction',
              text: `${r.room} on ${ev.pod}: stored ${prev.storedBytes} → ${r.storedBytes} bytes`,
              tags: ['compaction'],
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

  frame(refId: string): DataFrame {
    const ev = [...this.events].sort((a, b) => a.time - b.time);
    return createDataFrame({
      refId,
      name: 'annotations',
      meta: { custom: { annotations: true } },
      fields: [
        { name: 'time', type: FieldType.time, values: ev.map((e) => e.time) },
        { name: 'title', type: FieldType.string, values: ev.map((e) => e.title) },
        { name: 'text', type: FieldType.string, values: ev.map((e) => e.text) },
        { name: 'tags', type: FieldType.other, values: ev.map((e) => e.tags) },
      ],
    });
  }
}
