import { describe, expect, it } from 'vitest';
import { createDataFrame, FieldType } from '@grafana/data';
import { COLLAB_FRAME_KIND_KEY, PRESENCE_FIELDS as P } from '@collabblocks/protocol';

import { MAX_CLIENTS, UserColors } from './userColors';

function presence(room: string, rows: Array<[unknown, unknown]>, kind = 'presence') {
  return createDataFrame({
    refId: 'P',
    meta: { custom: { [COLLAB_FRAME_KIND_KEY]: kind, room } },
    fields: [
      { name: P.room, type: FieldType.string, values: rows.map(() => room) },
      { name: P.clientId, type: FieldType.number, values: rows.map((r) => r[0]) },
      { name: P.user, type: FieldType.string, values: rows.map((_, i) => `u_${i}`) },
      { name: P.color, type: FieldType.string, values: rows.map((r) => r[1]) },
    ],
  });
}

describe('UserColors', () => {
  it('keeps the plain CSS colour each client publishes, for the room shown', () => {
    const c = new UserColors();
    c.ingest(
      [
        presence('acme/doc', [
          [1, '#e03131'],
          [2, 'rgb(25, 113, 194)'],
        ]),
        presence('acme/other', [[3, '#00ff00']]),
      ],
      'acme/doc'
    );
    expect([c.of(1), c.of(2), c.of(3), c.of(null)]).toEqual(['#e03131', 'rgb(25, 113, 194)', '', '']);
  });

  it('drops anything that is not a plain colour (names, urls, expressions, CSS injection, non-strings)', () => {
    const c = new UserColors();
    const bad = [
      'red; background: url(https://evil.example/x)',
      'url(javascript:alert(1))',
      'expression(alert(1))',
      'var(--x)',
      '#e03131;}',
      `#${'f'.repeat(400)}`,
      42,
      null,
      { r: 1 },
    ];
    c.ingest(
      [
        presence(
          'r',
          bad.map((b, i) => [i + 1, b])
        ),
      ],
      'r'
    );
    expect(c.size).toBe(0);
    // Bad client ids too.
    c.ingest(
      [
        presence('r', [
          [-1, '#fff'],
          [1.5, '#fff'],
          ['7', '#fff'],
          [NaN, '#fff'],
        ]),
      ],
      'r'
    );
    expect(c.size).toBe(0);
    // Frames that are not presence frames are not read.
    c.ingest([presence('r', [[1, '#fff']], 'tree')], 'r');
    expect(c.size).toBe(0);
  });

  it('follows a changed colour, keeps clients who left, and stays bounded', () => {
    const c = new UserColors();
    c.ingest([presence('r', [[1, '#111']])], 'r');
    const v = c.version;
    c.ingest([presence('r', [[1, '#111']])], 'r');
    expect(c.version).toBe(v);
    c.ingest([presence('r', [[1, '#222']])], 'r');
    expect(c.of(1)).toBe('#222');
    expect(c.version).toBeGreaterThan(v);
    c.ingest([presence('r', [[2, '#333']])], 'r');
    expect(c.of(1)).toBe('#222');
    const many = Array.from({ length: MAX_CLIENTS + 10 }, (_, i): [number, string] => [1000 + i, '#abc']);
    c.ingest([presence('r', many)], 'r');
    expect(c.size).toBe(MAX_CLIENTS);
    expect(c.of(1)).toBe('');
    expect(c.of(1000 + MAX_CLIENTS + 9)).toBe('#abc');
  });
});
