/**
 * Grafana data frames → Arrow IPC (file format), laid out as grafana-plugin-sdk-go's `Frame.MarshalArrow`
 * writes them (data/arrow.go): schema metadata `name`, `refId` and `meta` (JSON, when there is one); per
 * field `name` and `tstype`, `labels` and `config` (JSON, when set); the field's Arrow type from
 * fieldTypes.ts, nullable when a value is missing. Encoded with apache-arrow, no hand-written encoder.
 */
import {
  Field as ArrowField,
  makeData,
  RecordBatch,
  RecordBatchFileWriter,
  Schema,
  Struct,
  vectorFromArray,
} from 'apache-arrow';
import type { DataFrame, Field } from '@grafana/data';

import { wireTypeOf } from './fieldTypes';

function hasKeys(o: object | undefined | null): o is object {
  return !!o && Object.keys(o).length > 0;
}

function arrowField(field: Field, values: unknown[]): ArrowField {
  const wire = wireTypeOf(field.type);
  const md = new Map<string, string>([
    ['name', field.name],
    ['tstype', wire.tsType],
  ]);
  if (hasKeys(field.labels)) md.set('labels', JSON.stringify(field.labels));
  if (hasKeys(field.config)) md.set('config', JSON.stringify(field.config));
  return new ArrowField(field.name, wire.arrow(), values.includes(null), md);
}

/** Row count of a frame (fields of unequal length are cut to the shortest, as Grafana requires equal). */
function rowCount(frame: DataFrame): number {
  if (frame.fields.length === 0) return 0;
  return Math.min(...frame.fields.map((f) => f.values.length));
}

/** One frame as Arrow IPC file bytes. */
export function frameToArrow(frame: DataFrame): Uint8Array {
  const length = rowCount(frame);
  const columns = frame.fields.map((f) => {
    const wire = wireTypeOf(f.type);
    const values: unknown[] = [];
    for (let i = 0; i < length; i++) values.push(wire.encode(f.values[i]));
    return { field: arrowField(f, values), values, wire };
  });
  const md = new Map<string, string>([
    ['name', frame.name ?? ''],
    ['refId', frame.refId ?? ''],
  ]);
  if (frame.meta) md.set('meta', JSON.stringify(frame.meta));
  const schema = new Schema(
    columns.map((c) => c.field),
    md
  );
  const children = columns.map((c) => vectorFromArray(c.values, c.field.type).data[0]!);
  const batch = new RecordBatch(
    schema,
    makeData({ type: new Struct(schema.fields), length, nullCount: 0, children })
  );
  // Several fields may share a name (one series per pod, told apart by labels), as in the Go SDK's frames.
  // apache-arrow's RecordBatch rebuilds its schema with Schema.assign, which merges fields BY NAME: the batch
  // then described pod B's labels at pod A's column, and `new Table(schema, batch)` refused the mismatch
  // ("Table and inner RecordBatch schemas must be equivalent") — a live metrics query over two pods failed
  // whenever both had reported. The batch keeps the schema built here, and is written without a Table.
  (batch as { schema: Schema }).schema = schema;
  return RecordBatchFileWriter.writeAll([batch]).toUint8Array(true);
}
