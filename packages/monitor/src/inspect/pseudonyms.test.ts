import { describe, expect, it } from 'vitest';
import { Pseudonyms } from './pseudonyms.js';

describe('pseudonyms', () => {
  it('are stable across instances sharing the secret, differ with another secret, and never show the id', () => {
    const a = new Pseudonyms(new Uint8Array(Buffer.from('a'.repeat(32))));
    const b = new Pseudonyms(new Uint8Array(Buffer.from('a'.repeat(32))));
    const other = new Pseudonyms(new Uint8Array(Buffer.from('b'.repeat(32))));
    expect(a.conn('conn-1')).toBe(b.conn('conn-1'));
    expect(a.client('acme', 42)).toBe(b.client('acme', 42));
    expect(a.conn('conn-1')).not.toBe(other.conn('conn-1'));
    expect(a.client('acme', 42)).not.toBe(a.client('beta', 42));
    expect(a.conn('conn-1')).toMatch(/^c_[\w-]{8}$/);
    expect(a.client('acme', 42)).toMatch(/^a_[\w-]{10}$/);
    a.forgetConn('conn-1');
    expect(a.conn('conn-1')).toBe(b.conn('conn-1'));
  });
});
