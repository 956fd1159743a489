/**
 * A JWKS outage is not a bad token: when the key set cannot be fetched (down,
 * slow, 5xx, not a key set) clients are refused with the retryable 4500 and
 * the failure is counted, never with 4402 AUTH_INVALID. Key servers are local
 * HTTP servers on 127.0.0.1.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloseCode } from '@collabblocks/protocol';
import { createTokenVerifier } from '../src/auth/jwt.js';
import { loadConfig } from '../src/config.js';
import { closeCodeOf, connectClient, sleep, waitFor } from './helpers/clients.js';
import { es256KeyPair, mintToken } from './helpers/jwt.js';
import { startPod, type PodProcess } from './helpers/pod.js';
import { freePort } from './infra/ports.js';

type Mode = 'ok' | 'slow' | 'error' | 'html' | 'not-a-key-set';

/** A key server whose behaviour the test switches. */
async function keyServer(jwk: object) {
  let mode: Mode = 'ok';
  let keys: object[] = [jwk];
  let requests = 0;
  const server = http.createServer((_req, res) => {
    requests += 1;
    switch (mode) {
      case 'ok':
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }));
        return;
      case 'slow':
        setTimeout(() => res.writeHead(200).end(JSON.stringify({ keys: [jwk] })), 1500).unref();
        return;
      case 'error':
        res.writeHead(503).end('upstream down');
        return;
      case 'html':
        res.writeHead(200, { 'content-type': 'text/html' }).end('<html>maintenance</html>');
        return;
      case 'not-a-key-set':
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"maintenance"}');
        return;
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/jwks.json`,
    set mode(m: Mode) {
      mode = m;
    },
    /** The key set served in mode `ok`. */
    set keys(k: object[]) {
      keys = k;
    },
    get requests() {
      return requests;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

/** A URL on 127.0.0.1 where nothing listens. */
async function deadUrl(): Promise<string> {
  return `http://127.0.0.1:${await freePort()}/jwks.json`;
}

const PSEUDONYM = 'pseudonym-secret-for-tests-123';

describe('JWKS failures in the verifier', () => {
  let keys: Awaited<ReturnType<typeof es256KeyPair>>;
  let srv: Awaited<ReturnType<typeof keyServer>>;
  beforeAll(async () => {
    keys = await es256KeyPair();
    srv = await keyServer(keys.publicJwk);
  });
  afterAll(async () => {
    await srv?.close();
  });

  const verifier = (url: string, jwksUnknownKidProbeMs?: number) =>
    createTokenVerifier(loadConfig({ COLLAB_JWKS_URL: url, COLLAB_PSEUDONYM_SECRET: PSEUDONYM }), {
      jwksTimeoutMs: 300,
      ...(jwksUnknownKidProbeMs !== undefined ? { jwksUnknownKidProbeMs } : {}),
    });

  it('a new kid inside the 30 s refetch cooldown: 4500 while the JWKS is down, accepted once it is back; a kid the fresh set lacks is 4402', async () => {
    // Before: jose answered an unknown kid inside its cooldown from the cached set (JWKSNoMatchingKey,
    // 4402 — the stock client gives up) without asking the key server, down or not.
    const a = await es256KeyPair();
    const b = await es256KeyPair();
    const server = await keyServer({ ...a.publicJwk, kid: 'a' });
    try {
      const v = await verifier(server.url, 400);
      const tokenA = await mintToken({ org: 'acme', alg: 'ES256', key: a.privateKey, kid: 'a' });
      const tokenB = await mintToken({ org: 'acme', alg: 'ES256', key: b.privateKey, kid: 'b' });
      expect(await v.verify(tokenA, 'acme')).toMatchObject({ ok: true });
      // The identity provider goes down and rotates in key b: within jose's 30 s cooldown of the fetch
      // above, past the 400 ms during which that fetch's key set is trusted to say a kid does not exist.
      server.mode = 'error';
      await sleep(450);
      const down = await v.verify(tokenB, 'acme');
      expect(down).toEqual({
        ok: false,
        code: CloseCode.INTERNAL_ERROR,
        reason: 'token keys unavailable, retry later',
        keySetFailure: 'unreachable',
      });
      // Within the probe interval the failed fetch answers (no request per token); still retryable.
      const requests = server.requests;
      expect(await v.verify(tokenB, 'acme')).toMatchObject({ code: CloseCode.INTERNAL_ERROR });
      expect(server.requests).toBe(requests);
      // Back, now serving both keys: the client's retry is accepted (still inside jose's cooldown).
      server.keys = [
        { ...a.publicJwk, kid: 'a' },
        { ...b.publicJwk, kid: 'b' },
      ];
      server.mode = 'ok';
      await waitFor(async () => (await v.verify(tokenB, 'acme')).ok, 5000, 'kid b accepted');
      // A kid the key set (fetched just now) does not have: a bad token, 4402; and a burst of such
      // tokens fetches the set at most once per probe interval.
      const c = await es256KeyPair();
      const bogus = await mintToken({ org: 'acme', alg: 'ES256', key: c.privateKey, kid: 'c' });
      const before = server.requests;
      for (let i = 0; i < 20; i++) {
        expect(await v.verify(bogus, 'acme')).toMatchObject({ ok: false, code: CloseCode.AUTH_INVALID });
      }
      expect(server.requests - before).toBeLessThanOrEqual(1);
    } finally {
      await server.close();
    }
  });

  it('down, slow, 5xx and not-a-key-set are retryable 4500 with the reason; never 4402', async () => {
    const token = await mintToken({ org: 'acme', alg: 'ES256', key: keys.privateKey });
    const unavailable = (failure: string) => ({
      ok: false,
      code: CloseCode.INTERNAL_ERROR,
      reason: 'token keys unavailable, retry later',
      keySetFailure: failure,
    });
    const down = await verifier(await deadUrl());
    expect(await down.verify(token, 'acme')).toEqual(unavailable('unreachable'));
    const cases: Array<[Mode, string]> = [
      ['slow', 'timeout'],
      ['error', 'unreachable'],
      ['html', 'bad-response'],
      ['not-a-key-set', 'bad-response'],
    ];
    for (const [mode, failure] of cases) {
      srv.mode = mode;
      // Bounded by the fetch timeout: a slow key server yields the 'timeout' failure (the timer fired) rather
      // than a wait for its answer; asserted on that outcome, not on a wall-clock bound.
      expect(await (await verifier(srv.url)).verify(token, 'acme'), mode).toEqual(unavailable(failure));
    }
  });

  it('recovers once the key server answers; a token signed by another key is still 4402', async () => {
    const token = await mintToken({ org: 'acme', alg: 'ES256', key: keys.privateKey });
    srv.mode = 'error';
    const v = await verifier(srv.url);
    expect(await v.verify(token, 'acme')).toMatchObject({ ok: false, code: CloseCode.INTERNAL_ERROR });
    srv.mode = 'ok';
    expect(await v.verify(token, 'acme')).toMatchObject({ ok: true, claims: { org: 'acme' } });
    const other = await es256KeyPair();
    const foreign = await mintToken({ org: 'acme', alg: 'ES256', key: other.privateKey });
    const res = await v.verify(foreign, 'acme');
    expect(res).toMatchObject({ ok: false, code: CloseCode.AUTH_INVALID });
    expect(res).not.toHaveProperty('keySetFailure');
  });
});

describe('JWKS down on a real pod', () => {
  let pod: PodProcess;
  beforeAll(async () => {
    pod = await startPod({
      env: {
        COLLAB_JWT_SECRET: undefined,
        COLLAB_JWKS_URL: await deadUrl(),
        COLLAB_PSEUDONYM_SECRET: PSEUDONYM,
      },
    });
  });
  afterAll(async () => {
    await pod?.cleanup();
  });

  it('refuses with 4500 (a stock client keeps retrying), counts the failures and logs a warning', async () => {
    const keys = await es256KeyPair();
    const token = await mintToken({ org: 'acme', alg: 'ES256', key: keys.privateKey });
    const r = await closeCodeOf(`${pod.wsUrl}/acme/doc?token=${token}`);
    expect(r).toEqual({ code: CloseCode.INTERNAL_ERROR, reason: 'token keys unavailable, retry later' });
    const c = connectClient(pod.wsUrl, 'acme/doc', token, { reconnect: true });
    await waitFor(() => c.closes.length >= 2, 10_000, 'stock client retries');
    expect(c.closes.every((x) => x.code === CloseCode.INTERNAL_ERROR)).toBe(true);
    c.destroy();
    const body = await (await fetch(`${pod.httpUrl}/metrics`)).text();
    const failures = /^collab_auth_jwks_failures_total\{[^}]*reason="unreachable"[^}]*\} (\d+)/m.exec(body);
    expect(Number(failures?.[1])).toBeGreaterThanOrEqual(3);
    expect(body).toMatch(/^ws_errors_total\{[^}]*code="4500"[^}]*\} [1-9]/m);
    expect(body).not.toMatch(/^ws_errors_total\{[^}]*code="4402"/m);
    const warnings = pod.logs().filter((l) => String(l.msg).includes('JWKS'));
    expect(warnings.length).toBe(1);
    expect(warnings[0]).toMatchObject({ level: 'warn', failure: 'unreachable' });
  });
});
