/**
 * Unit tests: env parsing with clear errors, org API keys (env and file,
 * constant-time check), pseudonyms, JWT claim checks.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CloseCode } from '@collabblocks/protocol';
import { bearerToken, createOrgKeyAuthenticator, scopeAllows } from '@collabblocks/monitor';
import { checkClaims, createTokenVerifier } from '../src/auth/jwt.js';
import { userPseudonym } from '@collabblocks/monitor';
import { ConfigError, loadConfig, parseApiKeys } from '../src/config.js';
import { mintToken, TEST_JWT_SECRET } from './helpers/jwt.js';

const base = { COLLAB_JWT_SECRET: TEST_JWT_SECRET };
const req = (authorization?: string) =>
  ({ headers: authorization === undefined ? {} : { authorization } }) as unknown as IncomingMessage;

describe('config', () => {
  it('refuses an unknown COLLAB_LOG_LEVEL with a clear error instead of crashing the logger', () => {
    expect(() => loadConfig({ ...base, COLLAB_LOG_LEVEL: 'verbose' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, COLLAB_LOG_LEVEL: 'verbose' })).toThrow(
      /COLLAB_LOG_LEVEL must be one of/
    );
    expect(loadConfig({ ...base, COLLAB_LOG_LEVEL: 'DEBUG' }).logLevel).toBe('debug');
    expect(loadConfig(base).logLevel).toBe('info');
  });

  it('has the documented defaults', () => {
    const c = loadConfig(base);
    expect(c).toMatchObject({
      host: '0.0.0.0',
      port: 1234,
      roomIdleMs: 30_000,
      maxRooms: 10_000,
      pingIntervalMs: 5000,
      compactIntervalMs: 5000,
      compactOps: 1000,
      retentionMs: 7 * 24 * 3600 * 1000,
      maxFrameBytes: 4 * 1024 * 1024,
      maxBufferedBytes: 8 * 1024 * 1024,
      maxConnPerIp: 256,
      maxConnPerOrg: 10_000,
      maxPendingSocketsPerIp: 128,
      pendingSocketTimeoutMs: 10_000,
      limits: {
        enabled: true,
        turnSliceMs: 2,
        connCpuMsPerSec: 200,
        connCpuBurstMs: 1000,
        connThrottleCloseMs: 10_000,
        roomCpuMsPerSec: 500,
        roomCpuBurstMs: 5000,
        maxNewClientIds: 256,
        maxQueuedBytes: 256 * 1024 * 1024,
      },
      storage: { kind: 'sqlite', sqliteSync: 'normal' },
      jwt: { mode: 'hs256' },
    });
    expect(c.storage.dataDir).toBe(path.resolve('./.data'));
  });

  it('names the variable in every error', () => {
    const bad: Array<[Record<string, string>, RegExp]> = [
      [{ PORT: 'abc' }, /PORT must be a non-negative integer/],
      [{ PORT: '70000' }, /PORT must be between/],
      [{ COLLAB_SQLITE_SYNC: 'sometimes' }, /COLLAB_SQLITE_SYNC/],
      [{ COLLAB_STORAGE: 'mongo' }, /COLLAB_STORAGE/],
      [{ COLLAB_STORAGE: 'postgres' }, /COLLAB_PG_URL/],
      [{ COLLAB_AUTH_DISABLED: 'maybe' }, /COLLAB_AUTH_DISABLED must be true or false/],
      [{ COLLAB_AUTH_DISABLED: 'true' }, /conflicts/],
      [{ COLLAB_JWT_PUBLIC_KEY: 'nope' }, /only one of/],
      [{ COLLAB_POD_NAME: 'bad name!' }, /COLLAB_POD_NAME/],
      [{ COLLAB_API_KEYS: 'acme' }, /COLLAB_API_KEYS entry 1: expected org:key/],
      [{ COLLAB_API_KEYS: 'acme:short' }, /shorter than 16/],
      [{ COLLAB_API_KEYS: 'Bad Org:0123456789abcdef0' }, /not a valid org slug/],
      [{ COLLAB_API_KEYS: 'acme:0123456789abcdef0:admin' }, /scope must be/],
      [{ COLLAB_MAX_FRAME_BYTES: '10' }, /COLLAB_MAX_FRAME_BYTES must be between/],
    ];
    for (const [env, re] of bad) {
      expect(() => loadConfig({ ...base, ...env }), JSON.stringify(env)).toThrow(ConfigError);
      expect(() => loadConfig({ ...base, ...env }), JSON.stringify(env)).toThrow(re);
    }
  });

  it('reads API keys from env and from a JSON file', () => {
    expect(parseApiKeys('acme:0123456789abcdef0, globex:fedcba98765432100:content')).toEqual([
      { org: 'acme', key: '0123456789abcdef0', scope: 'metadata' },
      { org: 'globex', key: 'fedcba98765432100', scope: 'content' },
    ]);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'collab-keys-'));
    try {
      const file = path.join(dir, 'keys.json');
      writeFileSync(
        file,
        JSON.stringify([{ org: 'initech', key: 'initech-key-0123456789', scope: 'content' }])
      );
      const c = loadConfig({ ...base, COLLAB_API_KEYS_FILE: file });
      expect(c.apiKeys).toEqual([{ org: 'initech', key: 'initech-key-0123456789', scope: 'content' }]);
      writeFileSync(file, '{"org":"x"}');
      expect(() => loadConfig({ ...base, COLLAB_API_KEYS_FILE: file })).toThrow(/expected a JSON array/);
      writeFileSync(file, 'not json');
      expect(() => loadConfig({ ...base, COLLAB_API_KEYS_FILE: file })).toThrow(/cannot read JSON/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('derives a stable pseudonym secret from the JWT secret unless one is given', () => {
    const a = loadConfig(base).pseudonymSecret;
    const b = loadConfig(base).pseudonymSecret;
    expect(a.equals(b)).toBe(true);
    expect(a.equals(Buffer.from(TEST_JWT_SECRET))).toBe(false);
    const explicit = loadConfig({ ...base, COLLAB_PSEUDONYM_SECRET: 'explicit-secret-1234' }).pseudonymSecret;
    expect(explicit.equals(a)).toBe(false);
  });
});

describe('org API keys', () => {
  const auth = createOrgKeyAuthenticator(
    parseApiKeys('acme:acme-key-0123456789ab:content,globex:globex-key-0123456789')
  );
  it('maps a bearer key to its org and scope', () => {
    expect(auth(req('Bearer acme-key-0123456789ab'))).toEqual({ org: 'acme', scope: 'content' });
    expect(auth(req('bearer globex-key-0123456789'))).toEqual({ org: 'globex', scope: 'metadata' });
  });
  it('rejects missing, malformed, wrong and prefix keys', () => {
    for (const h of [undefined, '', 'Basic abc', 'Bearer', 'Bearer acme-key-0123456789a', 'Bearer x y']) {
      expect(auth(req(h)), String(h)).toBeNull();
    }
    expect(bearerToken(req('Bearer   tok  '))).toBe('tok');
  });
  it('scope content includes metadata', () => {
    expect(scopeAllows('content', 'metadata')).toBe(true);
    expect(scopeAllows('metadata', 'content')).toBe(false);
  });
});

describe('pseudonyms and claims', () => {
  it('pseudonym is stable, short, per org, and does not contain the subject', () => {
    const s = Buffer.from('k'.repeat(32));
    const p = userPseudonym(s, 'acme', 'alice@example.com');
    expect(p).toMatch(/^u_[A-Za-z0-9_-]{10}$/);
    expect(userPseudonym(s, 'acme', 'alice@example.com')).toBe(p);
    expect(userPseudonym(s, 'globex', 'alice@example.com')).not.toBe(p);
    expect(userPseudonym(Buffer.from('j'.repeat(32)), 'acme', 'alice@example.com')).not.toBe(p);
  });

  it('claim checks map to close codes', () => {
    const exp = Math.floor(Date.now() / 1000) + 60;
    expect(checkClaims({ sub: 'a', org: 'acme', exp }, 'acme').ok).toBe(true);
    expect(checkClaims({ sub: 'a', org: 'acme', exp }, 'globex')).toMatchObject({
      code: CloseCode.AUTH_WRONG_ORG,
    });
    expect(checkClaims({ sub: 'a', org: 'acme' }, 'acme')).toMatchObject({ code: CloseCode.AUTH_INVALID });
    expect(checkClaims({ org: 'acme', exp }, 'acme')).toMatchObject({ code: CloseCode.AUTH_INVALID });
    expect(checkClaims({ sub: 'a', org: 'ACME', exp }, 'acme')).toMatchObject({
      code: CloseCode.AUTH_INVALID,
    });
    expect(checkClaims({ sub: 'a', org: 'acme', exp, name: 5 }, 'acme')).toMatchObject({
      code: CloseCode.AUTH_INVALID,
    });
  });

  it('verifier enforces audience and issuer when configured', async () => {
    const v = await createTokenVerifier(
      loadConfig({ ...base, COLLAB_JWT_AUDIENCE: 'collab', COLLAB_JWT_ISSUER: 'grafana' })
    );
    const good = await mintToken({ org: 'acme', extra: { aud: 'collab', iss: 'grafana' } });
    expect((await v.verify(good, 'acme')).ok).toBe(true);
    const wrongAud = await mintToken({ org: 'acme', extra: { aud: 'other', iss: 'grafana' } });
    expect(await v.verify(wrongAud, 'acme')).toMatchObject({ ok: false, code: CloseCode.AUTH_INVALID });
    expect(await v.verify('x'.repeat(9000), 'acme')).toMatchObject({
      ok: false,
      code: CloseCode.AUTH_INVALID,
    });
  });
});
