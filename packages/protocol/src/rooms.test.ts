import { describe, expect, it } from 'vitest';
import { parseRoomName, parseRoomPath } from './rooms.js';
import { CloseCode, closeCodeName } from './closeCodes.js';

describe('parseRoomName', () => {
  it('accepts <org>/<room>', () => {
    expect(parseRoomName('acme/design-doc_1')).toEqual({
      ok: true,
      value: { org: 'acme', room: 'design-doc_1', id: 'acme/design-doc_1' },
    });
  });
  it.each([
    '',
    'acme',
    'acme/',
    '/room',
    'a/b/c',
    'Acme/x',
    'acme/..',
    'acme/a b',
    'acme/-x',
    'x'.repeat(64) + '/a',
  ])('rejects %j', (name) => {
    expect(parseRoomName(name).ok).toBe(false);
  });
});

describe('parseRoomPath', () => {
  it('accepts /org/room', () => {
    expect(parseRoomPath('/acme/doc').ok).toBe(true);
  });
  it.each(['acme/doc', '/acme/../doc', '/acme/%2e%2e', '/acme//doc', '/acme\\doc', '/./acme/doc'])(
    'rejects %j',
    (p) => {
      expect(parseRoomPath(p).ok).toBe(false);
    }
  );
});

describe('close codes', () => {
  it('are unique and named', () => {
    const values = Object.values(CloseCode);
    expect(new Set(values).size).toBe(values.length);
    expect(closeCodeName(4401)).toBe('AUTH_MISSING');
    expect(closeCodeName(4999)).toBeUndefined();
  });
});
