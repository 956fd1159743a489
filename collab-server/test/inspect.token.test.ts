import { describe, expect, it } from 'vitest';
import { CloseCode } from '@collabblocks/protocol';
import { loadConfig } from '../src/config.js';
import { readInspectConfig } from '../src/inspect/config.js';
import { clampTtl, mintInspectToken, resolveInspectSecret, verifyInspectToken } from '@collabblocks/monitor';

const JWT_SECRET = 'a-jwt-secret-that-is-long-enough-0123456789';

describe('inspect tokens', () => {
  it('a token minted on one pod verifies on another pod sharing the JWT secret', async () => {
    const podA = resolveInspectSecret({ jwtSecret: JWT_SECRET }) as Uint8Array;
    const podB = resolveInspectSecret({ jwtSecret: JWT_SECRET }) as Uint8Array;
    const t = await mintInspectToken(podA, 'acme', 'content', 60);
    const v = await verifyInspectToken(podB, t.token);
    expect(v).toEqual({ ok: true, value: { org: 'acme', scope: 'content', expiresAt: t.expiresAt } });
    // The inspect secret is not the JWT secret itself.
    expect(Buffer.from(podA).toString()).not.toBe(JWT_SECRET);
    const other = resolveInspectSecret({ jwtSecret: JWT_SECRET + 'x' }) as Uint8Array;
    expect(await verifyInspectToken(other, t.token)).toMatchObject({
      ok: false,
      closeCode: CloseCode.AUTH_INVALID,
    });
  });

  it('rejects expired tokens with AUTH_EXPIRED and bounds TTLs', async () => {
    const s = resolveInspectSecret({ inspectSecret: 'an-explicit-inspect-secret-0123456789' }) as Uint8Array;
    const t = await mintInspectToken(s, 'acme', 'metadata', 2, Date.now() - 10_000);
    expect(await verifyInspectToken(s, t.token)).toMatchObject({
      ok: false,
      closeCode: CloseCode.AUTH_EXPIRED,
    });
    expect(() => resolveInspectSecret({ inspectSecret: 'short' })).toThrow(/32 bytes/);
    expect(resolveInspectSecret({})).toBeNull();
    expect(clampTtl(undefined)).toBe(300);
    expect(clampTtl(999_999)).toBe(3600);
    expect(clampTtl(0)).toBe(1);
  });

  it('derives a secret for JWKS deployments from the pseudonym secret; validates env', () => {
    const base = {
      COLLAB_JWKS_URL: 'https://idp.example/jwks.json',
      COLLAB_PSEUDONYM_SECRET: 'pseudonym-secret-pseudonym-secret-0123',
    };
    const cfg = loadConfig(base);
    const a = readInspectConfig({}, cfg);
    const b = readInspectConfig({}, loadConfig(base));
    expect(Buffer.from(a.secret).equals(Buffer.from(b.secret))).toBe(true);
    expect(a).toMatchObject({ maxSessions: 500, treeGraceMs: 15_000 });
    expect(() => readInspectConfig({ COLLAB_INSPECT_SECRET: 'x' }, cfg)).toThrow(/32 bytes/);
    expect(() => readInspectConfig({ COLLAB_INSPECT_MAX_SESSIONS: 'lots' }, cfg)).toThrow(/MAX_SESSIONS/);
    expect(readInspectConfig({ COLLAB_INSPECT_TREE_GRACE_MS: '0' }, cfg).treeGraceMs).toBe(0);
  });
});
