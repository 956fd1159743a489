/**
 * The numeric view of a frame (query field `measure`): its string fields and the one number field named,
 * nothing else — the "numeric table" shape Grafana's alerting and server-side expressions read (each row
 * a series, string columns its labels, the number its value).
 */
import { type DataFrame, FieldType } from '@grafana/data';

export function numericView(frame: DataFrame, measure: string): DataFrame {
  const value = frame.fields.find((f) => f.name === measure);
  if (!value) {
    const numbers = frame.fields.filter((f) => f.type === FieldType.number).map((f) => f.name);
    throw new Error(
      `measure "${measure.slice(0, 60)}" is not a field of this frame${numbers.length ? ` (number fields: ${numbers.join(', ')})` : ''}`
    );
  }
  if (value.type !== FieldType.number)
    throw new Error(`measure "${measure}" is a ${value.type} field, not a number`);
  return {
    ...frame,
    fields: [...frame.fields.filter((f) => f.type === FieldType.string), value],
  };
}
