/**
 * Grafana data frames → the JSON layout of grafana-plugin-sdk-go's `data.FrameToJSON` (data/frame_json.go):
 * what `StreamSender.SendFrame` puts in a stream packet and what Grafana Live forwards to browsers.
 * `schema` {name, refId, meta, fields [{name, type, typeInfo {frame, nullable}, labels, config}]} and
 * `data` {values (time as epoch ms), entities (NaN / ±Inf positions of number fields)}.
 */
import type { DataFrame, Field } from '@grafana/data';

import { wireTypeOf } from './fieldTypes';

export type FrameInclude = 'all' | 'schema' | 'data';

interface Entities {
  NaN?: number[];
  Inf?: number[];
  NegInf?: number[];
}

function schemaField(f: Field, nullable: boolean): Record<string, unknown> {
  const wire = wireTypeOf(f.type);
  const out: Record<string, unknown> = {
    ...(f.name ? { name: f.name } : {}),
    type: wire.tsType,
    typeInfo: { frame: wire.goType, ...(nullable ? { nullable: true } : {}) },
  };
  if (f.labels && Object.keys(f.labels).length) out.labels = f.labels;
  if (f.config && Object.keys(f.config).length) out.config = f.config;
  return out;
}

export function frameToJSON(frame: DataFrame, include: FrameInclude = 'all'): Record<string, unknown> {
  const length = frame.fields.length ? Math.min(...frame.fields.map((f) => f.values.length)) : 0;
  const values: unknown[][] = [];
  const entities: Array<Entities | null> = [];
  let anyEntity = false;
  const nullable: boolean[] = [];
  for (const f of frame.fields) {
    const wire = wireTypeOf(f.type);
    const col: unknown[] = [];
    let ent: Entities | null = null;
    let hasNull = false;
    for (let i = 0; i < length; i++) {
      const raw: unknown = f.values[i];
      if (wire.tsType === 'number' && typeof raw === 'number' && !Number.isFinite(raw)) {
        const key = Number.isNaN(raw) ? 'NaN' : raw > 0 ? 'Inf' : 'NegInf';
        ent ??= {};
        (ent[key] ??= []).push(i);
        anyEntity = true;
        col.push(null);
        continue;
      }
      const v = wire.tsType === 'other' ? (raw ?? null) : wire.encode(raw);
      if (v === null) hasNull = true;
      col.push(v);
    }
    values.push(col);
    entities.push(ent);
    nullable.push(hasNull);
  }
  const out: Record<string, unknown> = {};
  if (include !== 'data') {
    out.schema = {
      ...(frame.name ? { name: frame.name } : {}),
      ...(frame.refId ? { refId: frame.refId } : {}),
      ...(frame.meta ? { meta: frame.meta } : {}),
      fields: frame.fields.map((f, i) => schemaField(f, nullable[i] ?? false)),
    };
  }
  if (include !== 'schema') out.data = { values, ...(anyEntity ? { entities } : {}) };
  return out;
}
