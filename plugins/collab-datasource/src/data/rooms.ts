import { createDataFrame, type DataFrame, FieldType } from '@grafana/data';
import { FRAME_LIMITS, ROOMS_FIELDS as F, type RoomInfo } from '@collabblocks/protocol';

import { collabMeta } from './common';

export interface PodRooms {
  pod: string;
  rooms: RoomInfo[];
}

export interface RoomsFrameResult {
  frame: DataFrame;
  /** Rows that did not fit under FRAME_LIMITS.maxRows. */
  truncated: number;
}

/** Rooms table across pods: one row per (pod, room), most recently active first. */
export function buildRoomsFrame(pods: PodRooms[], refId: string): RoomsFrameResult {
  const rows = pods
    .flatMap((p) => p.rooms.map((r) => ({ pod: p.pod, r })))
    .sort((a, b) => b.r.lastActivity - a.r.lastActivity || a.r.room.localeCompare(b.r.room));
  const kept = rows.slice(0, FRAME_LIMITS.maxRows);
  const col = <T>(get: (x: (typeof kept)[number]) => T): T[] => kept.map(get);
  const frame = createDataFrame({
    refId,
    name: 'rooms',
    meta: collabMeta('rooms', { pods: pods.map((p) => p.pod) }, { preferredVisualisationType: 'table' }),
    fields: [
      { name: F.pod, type: FieldType.string, values: col((x) => x.pod) },
      { name: F.org, type: FieldType.string, values: col((x) => x.r.org) },
      { name: F.room, type: FieldType.string, values: col((x) => x.r.room) },
      { name: F.loaded, type: FieldType.boolean, values: col((x) => x.r.loaded) },
      { name: F.connections, type: FieldType.number, values: col((x) => x.r.connections) },
      { name: F.presence, type: FieldType.number, values: col((x) => x.r.presence) },
      {
        name: F.docBytes,
        type: FieldType.number,
        values: col((x) => x.r.docBytes),
        config: { unit: 'bytes' },
      },
      { name: F.ops, type: FieldType.number, values: col((x) => x.r.ops) },
      { name: F.lastActivity, type: FieldType.time, values: col((x) => x.r.lastActivity) },
      {
        name: F.storedBytes,
        type: FieldType.number,
        values: col((x) => x.r.storedBytes ?? null),
        config: { unit: 'bytes' },
      },
      { name: F.lastSeq, type: FieldType.number, values: col((x) => x.r.lastSeq ?? null) },
    ],
  });
  return { frame, truncated: rows.length - kept.length };
}
