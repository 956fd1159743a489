/**
 * What Grafana's server does with a backend plugin's frames before the browser sees them: Arrow IPC
 * (`data.UnmarshalArrowFrame`) → the frame JSON of `data.FrameToJSON` (schema + data, time as epoch ms,
 * JSON fields parsed, NaN / ±Inf as entities). Decoded with apache-arrow; independent of the plugin's encoder.
 */
import { RecordBatchReader, Type, type Field as ArrowField, type Schema, type Vector } from 'apache-arrow';

const GO_TYPE: Partial<Record<Type, string>> = {
  [Type.Timestamp]: 'time.Time',
  [Type.Float]: 'float64',
  [Type.Int]: 'int64',
  [Type.Utf8]: 'string',
  [Type.Bool]: 'bool',
  [Type.Binary]: 'json.RawMessage',
};

function jsonMeta(md: Map<string, string>, key: string): unknown {
  const v = md.get(key);
  return v === undefined ? undefined : (JSON.parse(v) as unknown);
}

const decoder = new TextDecoder();

function value(field: ArrowField, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (field.type.typeId === Type.Binary) return JSON.parse(decoder.decode(v as Uint8Array)) as unknown;
  if (typeof v === 'bigint') return Number(v);
  return v;
}

/**
 * An Arrow IPC frame as Go's reader sees it: the file's own schema and each column by position. Not through
 * apache-arrow's Table: its record batches rebuild their schema with Schema.assign, which merges fields by
 * name, and a frame may hold several fields of one name (one series per pod, told apart by labels).
 */
export function readArrowIPC(bytes: Uint8Array): {
  schema: Schema;
  numRows: number;
  getChildAt(i: number): { get(row: number): unknown } | null;
} {
  const reader = RecordBatchReader.from(bytes).open();
  const schema = reader.schema;
  const batches = reader.readAll();
  const numRows = batches.reduce((n, b) => n + b.numRows, 0);
  return {
    schema,
    numRows,
    getChildAt(i) {
      const parts = batches.map((b) => b.getChildAt(i)).filter((v): v is Vector => v !== null);
      if (parts.length !== batches.length) return null;
      return {
        get(row: number): unknown {
          let r = row;
          for (const p of parts) {
            if (r < p.length) return p.get(r) as unknown;
            r -= p.length;
          }
          return undefined;
        },
      };
    },
  };
}

export function arrowFrameToJSON(bytes: Uint8Array): Record<string, unknown> {
  const table = readArrowIPC(bytes);
  const md = table.schema.metadata;
  const values: unknown[][] = [];
  const entities: Array<Record<string, number[]> | null> = [];
  let anyEntity = false;
  const fields = table.schema.fields.map((f, i) => {
    const col = table.getChildAt(i);
    const out: unknown[] = [];
    let ent: Record<string, number[]> | null = null;
    for (let r = 0; r < table.numRows; r++) {
      const v = value(f, col?.get(r));
      if (typeof v === 'number' && !Number.isFinite(v)) {
        const k = Number.isNaN(v) ? 'NaN' : v > 0 ? 'Inf' : 'NegInf';
        ent ??= {};
        (ent[k] ??= []).push(r);
        anyEntity = true;
        out.push(null);
      } else out.push(v);
    }
    values.push(out);
    entities.push(ent);
    const labels = jsonMeta(f.metadata, 'labels');
    const config = jsonMeta(f.metadata, 'config');
    return {
      name: f.metadata.get('name') ?? f.name,
      type: f.metadata.get('tstype') ?? 'other',
      typeInfo: {
        frame: GO_TYPE[f.type.typeId as Type] ?? 'json.RawMessage',
        ...(f.nullable ? { nullable: true } : {}),
      },
      ...(labels ? { labels } : {}),
      ...(config ? { config } : {}),
    };
  });
  const meta = jsonMeta(md, 'meta');
  return {
    schema: {
      ...(md.get('name') ? { name: md.get('name') } : {}),
      ...(md.get('refId') ? { refId: md.get('refId') } : {}),
      ...(meta ? { meta } : {}),
      fields,
    },
    data: { values, ...(anyEntity ? { entities } : {}) },
  };
}
