// Data frames across the page boundary: FrameJSON (plain, serialisable) ⇄ @grafana/data DataFrame.
import {
  type DataFrame,
  type DataQueryResponse,
  type FieldType,
  createDataFrame,
  dateMath,
  dateTime,
  makeTimeRange,
  type TimeRange,
  toDataFrame,
} from '@grafana/data';

import type { FrameJSON, QueryEmission, TimeBound, TimeRangeSpec } from '../shared/types.js';

export function frameFromJSON(frame: FrameJSON): DataFrame {
  return createDataFrame({
    ...(frame.name !== undefined ? { name: frame.name } : {}),
    ...(frame.refId !== undefined ? { refId: frame.refId } : {}),
    ...(frame.meta ? { meta: frame.meta } : {}),
    fields: frame.fields.map((f) => ({
      name: f.name,
      type: f.type as FieldType,
      values: f.values,
      ...(f.labels ? { labels: f.labels } : {}),
      config: f.config ?? {},
    })),
  });
}

function plain(value: unknown): unknown {
  if (value === undefined) return null;
  if (
    typeof value === 'object' &&
    value !== null &&
    'valueOf' in value &&
    typeof value.valueOf === 'function'
  ) {
    const v: unknown = value.valueOf();
    if (typeof v === 'number') return v;
  }
  return value;
}

export function frameToJSON(input: unknown): FrameJSON {
  const frame: DataFrame =
    typeof input === 'object' && input !== null && 'fields' in input && Array.isArray(input.fields)
      ? (input as DataFrame)
      : toDataFrame(input);
  return {
    ...(frame.name !== undefined ? { name: frame.name } : {}),
    ...(frame.refId !== undefined ? { refId: frame.refId } : {}),
    ...(frame.meta ? { meta: JSON.parse(JSON.stringify(frame.meta)) as Record<string, unknown> } : {}),
    fields: frame.fields.map((f) => ({
      name: f.name,
      type: String(f.type),
      values: Array.from(f.values as ArrayLike<unknown>, plain),
      ...(f.labels ? { labels: { ...f.labels } } : {}),
      config: JSON.parse(JSON.stringify(f.config ?? {})) as Record<string, unknown>,
    })),
  };
}

export function emissionFromResponse(res: DataQueryResponse, startedAt: number): QueryEmission {
  const error = res.error as { message?: string; status?: number } | undefined;
  return {
    at: Date.now() - startedAt,
    ...(res.state !== undefined ? { state: String(res.state) } : {}),
    ...(res.key !== undefined ? { key: res.key } : {}),
    ...(error ? { error: { message: error.message, status: error.status } } : {}),
    ...(res.errors ? { errors: res.errors.map((e) => ({ message: e.message })) } : {}),
    frames: (res.data ?? []).map(frameToJSON),
  };
}

function parseBound(bound: TimeBound, roundUp: boolean) {
  const parsed = typeof bound === 'number' ? dateTime(bound) : dateMath.parse(bound, roundUp);
  if (!parsed || !parsed.isValid()) throw new Error(`invalid time bound ${JSON.stringify(bound)}`);
  return parsed;
}

export function timeRangeFromSpec(spec: TimeRangeSpec = { from: 'now-6h', to: 'now' }): TimeRange {
  const from = parseBound(spec.from, false);
  const to = parseBound(spec.to, true);
  const range = makeTimeRange(from, to);
  return {
    ...range,
    raw: {
      from: typeof spec.from === 'number' ? from : spec.from,
      to: typeof spec.to === 'number' ? to : spec.to,
    },
  };
}
