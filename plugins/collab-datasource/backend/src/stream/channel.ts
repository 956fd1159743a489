/**
 * Live channel paths: `<scope>/<kind>/<params>` under `ds/<uid>/`, where params is the base64url JSON of
 * what the live runner needs (room, pod filter, grid size, text filter, subtree, row cap). The scope is in
 * the path, so SubscribeStream can refuse a Viewer a content channel, and one channel — one upstream
 * subscription per pod — serves every viewer of the same query.
 */
import { type InspectScope, parseRoomName } from '@collabblocks/protocol';

import { runnerOf, type QueryKind } from '../../../src/query/runners';

export interface ChannelParams {
  room: string;
  pod: string;
  gridSize: number;
  filter: string;
  rootPath: string;
  maxDepth?: number;
  maxDataPoints?: number;
  /** documentHeatmap only. */
  heatmapMeasure?: 'presence' | 'edits';
  heatmapBucketMs?: number;
}

export interface Channel {
  scope: InspectScope;
  kind: QueryKind;
  params: ChannelParams;
}

/** Longest path accepted (Grafana keeps channel names short; a longer one is someone else's). */
export const MAX_CHANNEL_PATH = 1024;

export function channelPath(ch: Channel): string {
  const p = ch.params;
  const compact = {
    room: p.room,
    ...(p.pod ? { pod: p.pod } : {}),
    ...(ch.kind === 'presenceHeatmap' ? { gridSize: p.gridSize } : {}),
    ...(p.filter ? { filter: p.filter } : {}),
    ...(p.rootPath ? { rootPath: p.rootPath } : {}),
    ...(p.maxDepth !== undefined ? { maxDepth: p.maxDepth } : {}),
    ...(p.maxDataPoints !== undefined ? { maxDataPoints: p.maxDataPoints } : {}),
    ...(ch.kind === 'documentHeatmap'
      ? { heatmapMeasure: p.heatmapMeasure ?? 'presence', heatmapBucketMs: p.heatmapBucketMs }
      : {}),
  };
  return `${ch.scope}/${ch.kind}/${Buffer.from(JSON.stringify(compact)).toString('base64url')}`;
}

/** Reads a channel path; throws a readable Error for anything this backend did not write. */
export function parseChannelPath(path: string): Channel {
  if (path.length > MAX_CHANNEL_PATH) throw new Error('channel path too long');
  const m = /^(content|metadata)\/([A-Za-z]+)\/([A-Za-z0-9_-]+)$/.exec(path);
  if (!m) throw new Error('not a collab channel path (<scope>/<kind>/<params>)');
  const scope = m[1] as InspectScope;
  const kind = m[2]!;
  const runner = runnerOf(kind);
  if (!runner?.live) throw new Error(`"${kind}" is not a live query kind`);
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(m[3]!, 'base64url').toString('utf8'));
  } catch {
    throw new Error('channel parameters are not JSON');
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw))
    throw new Error('channel parameters must be an object');
  const o = raw as Record<string, unknown>;
  const str = (k: string): string => {
    const v = o[k];
    if (v === undefined) return '';
    if (typeof v !== 'string' || v.length > 256)
      throw new Error(`channel parameter ${k} must be a short string`);
    return v;
  };
  const int = (k: string, lo: number, hi: number): number | undefined => {
    const v = o[k];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) {
      throw new Error(`channel parameter ${k} must be an integer in ${lo}..${hi}`);
    }
    return v;
  };
  const room = str('room');
  const parsed = parseRoomName(room);
  if (!parsed.ok) throw new Error(`room "${room.slice(0, 100)}": ${parsed.error}`);
  const maxDepth = int('maxDepth', 0, 1000);
  const maxDataPoints = int('maxDataPoints', 1, 1_000_000);
  const heatmapMeasure = str('heatmapMeasure');
  if (heatmapMeasure !== '' && heatmapMeasure !== 'presence' && heatmapMeasure !== 'edits') {
    throw new Error('channel parameter heatmapMeasure must be presence or edits');
  }
  const heatmapBucketMs = int('heatmapBucketMs', 1000, 31 * 24 * 3_600_000);
  return {
    scope,
    kind: kind as QueryKind,
    params: {
      room,
      pod: str('pod'),
      gridSize: int('gridSize', 1, 100) ?? 20,
      filter: str('filter'),
      rootPath: str('rootPath'),
      ...(maxDepth !== undefined ? { maxDepth } : {}),
      ...(maxDataPoints !== undefined ? { maxDataPoints } : {}),
      ...(heatmapMeasure !== '' ? { heatmapMeasure } : {}),
      ...(heatmapBucketMs !== undefined ? { heatmapBucketMs } : {}),
    },
  };
}
