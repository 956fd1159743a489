/**
 * How a Grafana field type travels, the way grafana-plugin-sdk-go types its fields (data/arrow.go,
 * data/frame_json.go): the Arrow type, the `tstype` field metadata, and the JSON `typeInfo.frame` name.
 * The Arrow and the JSON encoders both read this one table.
 */
import { Binary, Bool, type DataType, Float64, TimestampNanosecond, Utf8 } from 'apache-arrow';
import { FieldType } from '@grafana/data';

export interface WireType {
  /** Arrow type of the column. */
  arrow: () => DataType;
  /** `tstype` field metadata and the JSON schema's `type`. */
  tsType: 'time' | 'number' | 'string' | 'boolean' | 'other';
  /** The SDK's Go item type (`typeInfo.frame`). */
  goType: 'time.Time' | 'float64' | 'string' | 'bool' | 'json.RawMessage';
  /** A value as the column stores it (null stays null). */
  encode: (v: unknown) => unknown;
}

const finiteOrNull = (v: unknown): number | null => {
  if (v === null || v === undefined || v === '') return null;
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isNaN(n) ? null : n;
};

const TIME: WireType = {
  arrow: () => new TimestampNanosecond(),
  tsType: 'time',
  goType: 'time.Time',
  // Whole milliseconds: the Arrow setter multiplies by 1e6 into a BigInt.
  encode: (v) => {
    const n = finiteOrNull(v instanceof Date ? v.getTime() : v);
    return n === null || !Number.isFinite(n) ? null : Math.round(n);
  },
};

const NUMBER: WireType = {
  arrow: () => new Float64(),
  tsType: 'number',
  goType: 'float64',
  encode: finiteOrNull,
};

const STRING: WireType = {
  arrow: () => new Utf8(),
  tsType: 'string',
  goType: 'string',
  encode: (v) => (v === null || v === undefined ? null : typeof v === 'string' ? v : String(v)),
};

const BOOLEAN: WireType = {
  arrow: () => new Bool(),
  tsType: 'boolean',
  goType: 'bool',
  encode: (v) => (v === null || v === undefined ? null : Boolean(v)),
};

const encoder = new TextEncoder();

const OTHER: WireType = {
  arrow: () => new Binary(),
  tsType: 'other',
  goType: 'json.RawMessage',
  encode: (v) => (v === undefined || v === null ? null : encoder.encode(JSON.stringify(v))),
};

/** The wire type of a field type; anything this backend never builds travels as JSON (`other`). */
export function wireTypeOf(type: FieldType | string): WireType {
  switch (type) {
    case FieldType.time:
      return TIME;
    case FieldType.number:
      return NUMBER;
    case FieldType.string:
      return STRING;
    case FieldType.boolean:
      return BOOLEAN;
    default:
      return OTHER;
  }
}
