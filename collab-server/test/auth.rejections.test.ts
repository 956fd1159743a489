/**
 * Client auth against real pod processes: every rejection closes with its own
 * code, org isolation for WebSocket rooms and `/api/rooms`, ES256 keys, no
 * insecure default, and the explicit dev mode.
 */
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloseCode } from '@collabblocks/protocol';
import { closeCodeOf, connectClient, waitFor } from './helpers/clients.js';
import { es256KeyPair, mintToken, TEST_API_KEYS } from './helpers/jwt.js';
import { startPod, type PodProcess } from './helpers/pod.js';

/** Sends a raw upgrade request with an exact (un-normalised) path; returns the HTTP status line. */
function rawUpgrade(port: number, path: string): Promise<{ status: string; closeCode?: number }> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error('raw upgrade timed out'));
    }, 5000);
    sock.on('connect', () => {
      sock.write(
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`
      );
    });
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      const end = buf.indexOf('\r\n\r\n');
      if (end === -1) return;
      const status = buf.subarray(0, buf.indexOf('\r\n')).toString();
      const rest = buf.subarray(end + 4);
      // First server frame: a close frame (opcode 8) whose payload starts with the code.
      if (rest.length >= 4 && (rest[0]! & 0x0f) === 8) {
        clearTimeout(timer);
        sock.destroy();
        resolve({ status, closeCode: rest.readUInt16BE(2) });
      }
    });
    sock.on('close', () => {
      clearTimeout(timer);
      resolve({ status: buf.subarray(0, Math.max(0, buf.indexOf('\r\n'))).toString() });
    });
    sock.on('error', reject);
  });
}

describe('auth: HS256 pod', () => {
  let pod: PodProcess;
  beforeAll(async () => {
    pod = await startPod();
  });
  afterAll(async () => {
    await pod?.cleanup();
  });

  const url = (room: string, token?: string) =>
    `${pod.wsUrl}/${room}${token !== undefined ? `?token=${encodeURIComponent(token)}` : ''}`;

  it('missing token → 4401 AUTH_MISSING', async () => {
    expect((await closeCodeOf(url('acme/doc'))).code).toBe(CloseCode.AUTH_MISSING);
    expect((await closeCodeOf(url('acme/doc', ''))).code).toBe(CloseCode.AUTH_MISSING);
  });

  it('bad signature, garbage, missing exp → 4402 AUTH_INVALID', async () => {
    const wrongSecret = await mintToken({ org: 'acme', secret: 'another-secret-that-is-long-enough-000000' });
    const r1 = await closeCodeOf(url('acme/doc', wrongSecret));
    expect(r1.code).toBe(CloseCode.AUTH_INVALID);
    expect(r1.reason).toMatch(/token rejected/);
    expect((await closeCodeOf(url('acme/doc', 'not.a.jwt'))).code).toBe(CloseCode.AUTH_INVALID);
    expect((await closeCodeOf(url('acme/doc', await mintToken({ org: 'acme', noExp: true })))).code).toBe(
      CloseCode.AUTH_INVALID
    );
    // alg "none" style token: header {"alg":"none"}.
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(
      JSON.stringify({ sub: 'x', org: 'acme', exp: 9999999999 })
    ).toString('base64url')}.`;
    expect((await closeCodeOf(url('acme/doc', none))).code).toBe(CloseCode.AUTH_INVALID);
    // A token without org.
    const noOrg = await mintToken({ org: 'acme', extra: { org: undefined } });
    expect((await closeCodeOf(url('acme/doc', noOrg))).code).toBe(CloseCode.AUTH_INVALID);
  });

  it('expired token → 4407 AUTH_EXPIRED', async () => {
    const expired = await mintToken({ org: 'acme', expiresInSec: -120 });
    const r = await closeCodeOf(url('acme/doc', expired));
    expect(r.code).toBe(CloseCode.AUTH_EXPIRED);
    expect(r.reason).toBe('token expired');
  });

  it('org A token cannot open an org B room → 4403 AUTH_WRONG_ORG', async () => {
    const acme = await mintToken({ org: 'acme' });
    const r = await closeCodeOf(url('globex/doc', acme));
    expect(r.code).toBe(CloseCode.AUTH_WRONG_ORG);
    expect(r.reason).toMatch(/org/);
  });

  it('invalid room names and path tricks → 4404 ROOM_INVALID', async () => {
    const token = await mintToken({ org: 'acme' });
    for (const room of ['acme', 'acme/a/b', 'ACME/doc', 'acme/', 'acme/doc%20x', 'acme/do.c']) {
      const r = await closeCodeOf(url(room, token));
      expect(r.code, room).toBe(CloseCode.ROOM_INVALID);
    }
    for (const p of ['/acme/..', '/acme/%2e%2e', '/acme/../globex', '//acme/doc', '/acme\\doc']) {
      const r = await rawUpgrade(pod.port, `${p}?token=${token}`);
      expect(r.closeCode, p).toBe(CloseCode.ROOM_INVALID);
    }
  });

  it('a valid token opens its own org room; the pod kept serving after the rejections', async () => {
    const c = connectClient(pod.wsUrl, 'acme/doc', await mintToken({ org: 'acme', name: 'Alice' }));
    await c.synced;
    c.doc.getText('t').insert(0, 'ok');
    const d = connectClient(pod.wsUrl, 'acme/doc', await mintToken({ org: 'acme', sub: 'bob' }));
    await waitFor(() => d.doc.getText('t').toString() === 'ok', 5000, 'sync after rejections');
    c.destroy();
    d.destroy();
  });

  it('rejections are counted per code in ws_errors_total', async () => {
    // A scanner's made-up org (unauthenticated path) never becomes a label value.
    expect((await closeCodeOf(url('zz-scanner-org/doc'))).code).toBe(CloseCode.AUTH_MISSING);
    const res = await fetch(`${pod.httpUrl}/metrics`);
    expect(res.status).toBe(200);
    const body = await res.text();
    for (const code of [4401, 4402, 4403, 4404, 4407]) {
      expect(body, `code ${code}`).toMatch(new RegExp(`ws_errors_total\\{[^}]*code="${code}"[^}]*\\} [1-9]`));
    }
    expect(body).not.toContain('zz-scanner-org');
    expect(body).toMatch(/ws_errors_total\{[^}]*org="_unknown"[^}]*code="4401"[^}]*\} [1-9]/);
    // acme has an API key: a known org keeps its own label.
    expect(body).toMatch(/ws_errors_total\{[^}]*org="acme"[^}]*code="4401"[^}]*\} [1-9]/);
  });

  it('/api/rooms requires the org API key and lists only that org', async () => {
    const ta = await mintToken({ org: 'acme' });
    const tg = await mintToken({ org: 'globex' });
    const a = connectClient(pod.wsUrl, 'acme/listed', ta);
    const g = connectClient(pod.wsUrl, 'globex/secret-room', tg);
    await Promise.all([a.synced, g.synced]);
    g.doc.getText('t').insert(0, 'globex data');
    a.doc.getText('t').insert(0, 'acme data');
    await new Promise((r) => setTimeout(r, 200));

    const list = async (key?: string) =>
      fetch(`${pod.httpUrl}/api/rooms`, key ? { headers: { authorization: `Bearer ${key}` } } : {});
    expect((await list()).status).toBe(401);
    const wrong = await list('acme-metadata-key-0123456789abcdeX');
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({ error: 'missing or invalid API key' });

    const acme = await list(TEST_API_KEYS.acme.key);
    expect(acme.status).toBe(200);
    const body = (await acme.json()) as { org: string; rooms: Array<Record<string, unknown>> };
    expect(body.org).toBe('acme');
    const names = body.rooms.map((r) => r.room);
    expect(names).toContain('acme/listed');
    expect(names.every((n) => typeof n === 'string' && n.startsWith('acme/'))).toBe(true);
    const listed = body.rooms.find((r) => r.room === 'acme/listed')!;
    expect(listed).toMatchObject({ org: 'acme', pod: pod.podName, loaded: true, connections: 1 });
    expect(listed.docBytes).toBeGreaterThan(0);
    expect(listed.ops).toBeGreaterThanOrEqual(1);

    const globex = (await (await list(TEST_API_KEYS.globex.key)).json()) as {
      rooms: Array<{ room: string }>;
    };
    expect(globex.rooms.map((r) => r.room)).toEqual(['globex/secret-room']);
    a.destroy();
    g.destroy();
  });
});

describe('auth: what a debug-level pod logs', () => {
  // Refusals and connection events are logged at debug: a pod at info would log nothing to check
  // (a test that something is NOT logged must run the pod at the level the code logs it, or it cannot fail).
  let pod: PodProcess;
  beforeAll(async () => {
    pod = await startPod({ env: { COLLAB_LOG_LEVEL: 'debug' } });
  });
  afterAll(async () => {
    await pod?.cleanup();
  });

  it('never the token, the display name or the subject: refused or connected', async () => {
    const name = 'Very Secret Name';
    const sub = 'log-probe-subject';
    const refused = await mintToken({ org: 'acme', sub, name });
    expect((await closeCodeOf(`${pod.wsUrl}/globex/doc?token=${refused}`)).code).toBe(
      CloseCode.AUTH_WRONG_ORG
    );
    const expired = await mintToken({ org: 'acme', sub, name, expiresInSec: -60 });
    expect((await closeCodeOf(`${pod.wsUrl}/acme/doc?token=${expired}`)).code).toBe(CloseCode.AUTH_EXPIRED);

    const token = await mintToken({ org: 'acme', sub, name: `${name} 2` });
    const c = connectClient(pod.wsUrl, 'acme/logged', token, { awareness: { user: 'cursor-only' } });
    await c.synced;
    c.doc.getText('t').insert(0, 'hello');
    const d = connectClient(pod.wsUrl, 'acme/logged', await mintToken({ org: 'acme', sub: 'bob' }));
    await waitFor(() => d.doc.getText('t').toString() === 'hello', 5000, 'sync');
    c.destroy();
    d.destroy();
    await new Promise((r) => setTimeout(r, 300));

    const out = pod.output();
    // The refusals were logged (at debug), so the checks below look at real log lines.
    const refusals = pod.logs().filter((l) => l.msg === 'connection refused');
    expect(refusals.map((l) => l.code)).toEqual(
      expect.arrayContaining([CloseCode.AUTH_WRONG_ORG, CloseCode.AUTH_EXPIRED])
    );
    expect(pod.logs().some((l) => l.level === 'debug')).toBe(true);
    for (const secret of [refused, expired, token, name, sub]) expect(out).not.toContain(secret);
    // Not even a piece of a token (e.g. its signature, or the payload with the claims).
    for (const t of [refused, expired, token]) {
      for (const part of t.split('.')) expect(out).not.toContain(part);
    }
  });
});

describe('auth: ES256 public key pod', () => {
  let pod: PodProcess;
  let keys: Awaited<ReturnType<typeof es256KeyPair>>;
  beforeAll(async () => {
    keys = await es256KeyPair();
    pod = await startPod({
      env: {
        COLLAB_JWT_SECRET: undefined,
        COLLAB_JWT_PUBLIC_KEY: keys.publicKeyPem,
        COLLAB_PSEUDONYM_SECRET: 'pseudonym-secret-for-tests-123',
      },
    });
  });
  afterAll(async () => {
    await pod?.cleanup();
  });

  it('accepts ES256 tokens and refuses HS256 ones (no algorithm confusion)', async () => {
    const es = await mintToken({ org: 'acme', alg: 'ES256', key: keys.privateKey });
    const c = connectClient(pod.wsUrl, 'acme/es', es);
    await c.synced;
    c.destroy();
    const hs = await mintToken({ org: 'acme' });
    expect((await closeCodeOf(`${pod.wsUrl}/acme/es?token=${hs}`)).code).toBe(CloseCode.AUTH_INVALID);
    const other = await es256KeyPair();
    const foreign = await mintToken({ org: 'acme', alg: 'ES256', key: other.privateKey });
    expect((await closeCodeOf(`${pod.wsUrl}/acme/es?token=${foreign}`)).code).toBe(CloseCode.AUTH_INVALID);
  });
});

describe('auth: JWKS URL pod', () => {
  let pod: PodProcess;
  let jwks: http.Server;
  let keys: Awaited<ReturnType<typeof es256KeyPair>>;
  beforeAll(async () => {
    keys = await es256KeyPair();
    const jwk = { ...keys.publicJwk, use: 'sig' };
    jwks = http.createServer((req, res) => {
      res.writeHead(req.url === '/jwks.json' ? 200 : 404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', r));
    const port = (jwks.address() as AddressInfo).port;
    pod = await startPod({
      env: {
        COLLAB_JWT_SECRET: undefined,
        COLLAB_JWKS_URL: `http://127.0.0.1:${port}/jwks.json`,
        COLLAB_PSEUDONYM_SECRET: 'pseudonym-secret-for-tests-123',
      },
    });
  });
  afterAll(async () => {
    await pod?.cleanup();
    await new Promise((r) => jwks?.close(r));
  });

  it('verifies tokens against the fetched key set', async () => {
    const ok = connectClient(
      pod.wsUrl,
      'acme/jwks',
      await mintToken({ org: 'acme', alg: 'ES256', key: keys.privateKey })
    );
    await ok.synced;
    ok.destroy();
    const other = await es256KeyPair();
    const foreign = await mintToken({ org: 'acme', alg: 'ES256', key: other.privateKey });
    expect((await closeCodeOf(`${pod.wsUrl}/acme/jwks?token=${foreign}`)).code).toBe(CloseCode.AUTH_INVALID);
    const expired = await mintToken({ org: 'acme', alg: 'ES256', key: keys.privateKey, expiresInSec: -60 });
    expect((await closeCodeOf(`${pod.wsUrl}/acme/jwks?token=${expired}`)).code).toBe(CloseCode.AUTH_EXPIRED);
  });

  it('requires a pseudonym secret with public keys', async () => {
    await expect(
      startPod({ env: { COLLAB_JWT_SECRET: undefined, COLLAB_JWKS_URL: 'http://127.0.0.1:9/jwks.json' } })
    ).rejects.toThrow(/COLLAB_PSEUDONYM_SECRET is required/);
  });
});

describe('auth: configuration', () => {
  it('refuses to start without a secret / JWKS / key (no insecure default)', async () => {
    await expect(startPod({ env: { COLLAB_JWT_SECRET: undefined }, startTimeoutMs: 15_000 })).rejects.toThrow(
      /no client authentication configured/
    );
  });

  it('refuses a short HS256 secret', async () => {
    await expect(startPod({ env: { COLLAB_JWT_SECRET: 'short' } })).rejects.toThrow(/at least 32 bytes/);
  });

  it('COLLAB_AUTH_DISABLED=true is an explicit, loudly logged dev mode', async () => {
    const pod = await startPod({ env: { COLLAB_JWT_SECRET: undefined, COLLAB_AUTH_DISABLED: 'true' } });
    try {
      expect(pod.output()).toMatch(/client tokens are NOT verified/);
      const c = connectClient(pod.wsUrl, 'devorg/room', null);
      await c.synced;
      c.destroy();
    } finally {
      await pod.cleanup();
    }
  });
});
