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
import { closeCodeOf, connectClient, waitFor } from './helpers/clients.js';
import { es256KeyPair, mintToken } from './helpers/jwt.js';
import { startPod, type PodProcess } from './helpers/pod.js';
import { freePort } from './infra/ports.js';

type Mode = 'ok' | 'slow' | 'error' | 'html' | 'not-a-key-set';

/** A key server whose behaviour the test switches. */
async function keyServer(jwk: object) {
  let mode: Mode = 'ok';
  let requests = 0;
  const server = http.createServer((_req, res) => {
    requests += 1;
    switch (mode) {
      case 'ok':
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
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

  const verifier = (url: string) =>
    createTokenVerifier(loadConfig({ COLLAB_JWKS_URL: url, COLLAB_PSEUDONYM_SECRET: PSEUDONYM }), {
      jwksTimeoutMs: 300,
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
      const t0 = Date.now();
      expect(await (await verifier(srv.url)).verify(token, 'acme'), mode).toEqual(unavailable(failure));
      expect(Date.now() - t0, `${mode} bounded by the timeout`).toBeLessThan(1200);
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
