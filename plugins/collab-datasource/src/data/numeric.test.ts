import { describe, expect, it } from 'vitest';
import { createDataFrame, FieldType } from '@grafana/data';

import { numericView } from './numeric';

const rooms = createDataFrame({
  refId: 'A',
  fields: [
    { name: 'pod', type: FieldType.string, values: ['pod-a', 'pod-b'] },
    { name: 'room', type: FieldType.string, values: ['acme/x', 'acme/y'] },
    { name: 'loaded', type: FieldType.boolean, values: [true, false] },
    { name: 'docBytes', type: FieldType.number, values: [10, 20] },
    { name: 'ops', type: FieldType.number, values: [1, 2] },
    { name: 'lastActivity', type: FieldType.time, values: [1, 2] },
  ],
});

describe('numericView', () => {
  it('keeps the string fields (labels) and the one number field named, in that order', () => {
    const v = numericView(rooms, 'docBytes');
    expect(v.fields.map((f) => f.name)).toEqual(['pod', 'room', 'docBytes']);
    expect(v.fields[2]!.values).toEqual([10, 20]);
    expect(v.refId).toBe('A');
  });

  it('names the number fields when the measure is not one of them', () => {
    expect(() => numericView(rooms, 'bytes')).toThrow(
      'measure "bytes" is not a field of this frame (number fields: docBytes, ops)'
    );
    expect(() => numericView(rooms, 'room')).toThrow('measure "room" is a string field, not a number');
  });
});
