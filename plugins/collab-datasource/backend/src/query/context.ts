/**
 * A RunContext (the browser runners' input) for the backend: the query's fields as the frontend sent them
 * (template variables already replaced there), the instance's pod connections of the caller's scope.
 */
import { FRAME_LIMITS, type InspectScope } from '@collabblocks/protocol';

import { docHeatmapBucketMs } from '../../../src/data/docHeatmap';
import type { RunContext } from '../../../src/query/context';
import { REPLAY_TIMEOUT_MS } from '../../../src/query/historyTree';
import type { Instance } from '../pods/instance';

export interface QueryFields {
  refId: string;
  room: string;
  pod: string;
  gridSize: number;
  at: string;
  through: string;
  filter: string;
  fromMs: number;
  toMs: number;
  maxDataPoints?: number;
  /** documentHeatmap: what each cell counts, and the bucket width (ms) resolved for the query's range. */
  heatmapMeasure?: 'presence' | 'edits';
  heatmapBucketMs?: number;
}

export interface ContextOptions {
  /** Minimum interval between two emissions of a live runner (ms). */
  throttleMs?: number;
  oneShotTimeoutMs?: number;
  replayTimeoutMs?: number;
}

export function runContext(
  instance: Instance,
  scope: InspectScope,
  f: QueryFields,
  opts: ContextOptions = {}
): RunContext {
  const tokens = instance.tokens[scope];
  return {
    refId: f.refId,
    key: f.refId,
    room: f.room,
    pod: f.pod,
    conns: instance.connections(scope),
    scope: () => tokens.currentScope,
    ...(f.maxDataPoints !== undefined ? { maxDataPoints: f.maxDataPoints } : {}),
    fromMs: f.fromMs,
    toMs: f.toMs,
    gridSize: Math.max(1, Math.min(100, Math.floor(f.gridSize) || 20)),
    at: f.at,
    through: f.through,
    filter: f.filter.trim(),
    rootPath: '',
    maxDepth: undefined,
    timeoutMs: opts.oneShotTimeoutMs ?? FRAME_LIMITS.oneShotTimeoutMs,
    replayTimeoutMs: opts.replayTimeoutMs ?? REPLAY_TIMEOUT_MS,
    throttleMs: opts.throttleMs ?? 250,
    heatmapMeasure: f.heatmapMeasure ?? 'presence',
    heatmapBucketMs: f.heatmapBucketMs ?? docHeatmapBucketMs(undefined, f.fromMs, f.toMs),
  };
}
