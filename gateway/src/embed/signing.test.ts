import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  canonical,
  EmbedError,
  keyId,
  MAX_LIFETIME_S,
  NonceLedger,
  parseEmbedRequest,
  signEmbedUrl,
  verifyEmbedUrl,
  type EmbedErrorCode,
} from './signing.js';

const acme = { id: 'acme', signingKey: 'acme-signing-key-0123456789abcdefghijklmn' };
const globex = { id: 'globex', signingKey: 'globex-signing-key-0123456789abcdefghijkl' };
const GRAFANA_ORG = new Map([
  ['acme', 2],
  ['globex', 3],
]);
const T0 = Date.UTC(2026, 11, 6, 12, 0, 0);
const ctx = (nowMs = T0) => ({
  orgs: new Map([acme, globex].map((o) => [o.id, o])),
  grafanaOrgId: (o: string) => GRAFANA_ORG.get(o),
  nowMs,
});

function sign(
  org = acme,
  extra: Partial<Parameters<typeof parseEmbedRequest>[0] & object> = {},
  nowMs = T0
): string {
  const req = parseEmbedRequest(
    {
      dashboard: 'collab-org-admin',
      room: `${org.id}/roadmap`,
      from: 'now-6h',
      to: 'now',
      theme: 'dark',
      ...extra,
    },
    org.id
  );
  return signEmbedUrl(org, GRAFANA_ORG.get(org.id)!, req, nowMs, MAX_LIFETIME_S).path;
}

function refusal(fn: () => unknown): EmbedErrorCode {
  try {
    fn();
  } catch (err) {
    if (err instanceof EmbedError) return err.code;
    throw err;
  }
  throw new Error('not refused');
}

/** Re-signs `path` after `mutate` with `key` (what an attacker holding that key could do). */
function resign(path: string, key: string, mutate: (p: URLSearchParams) => void): string {
  const u = new URL(path, 'http://g');
  mutate(u.searchParams);
  u.searchParams.set(
    'x-sig',
    createHmac('sha256', key).update(canonical(u.pathname, u.searchParams)).digest('base64url')
  );
  return `${u.pathname}?${u.searchParams}`;
}

describe('signed embed URLs', () => {
  it('HMAC-SHA256 over the canonical path and parameters, with key id, expiry and a nonce', () => {
    const path = sign();
    const u = new URL(path, 'http://g');
    expect(u.pathname).toBe('/embed/d/collab-org-admin');
    expect(u.searchParams.get('x-exp')).toBe(String(T0 / 1000 + 900));
    expect(u.searchParams.get('x-kid')).toBe(keyId(acme.signingKey));
    expect(u.searchParams.get('x-nonce')).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const want = createHmac('sha256', acme.signingKey)
      .update(canonical(u.pathname, u.searchParams))
      .digest('base64url');
    expect(u.searchParams.get('x-sig')).toBe(want);
    // Parameter order does not matter; every parameter but x-sig is covered.
    expect(canonical('/p', new URLSearchParams('b=2&a=1&x-sig=zz'))).toBe('CB1\n/p\na=1&b=2');
    expect(new URL(sign(), 'http://g').searchParams.get('x-nonce')).not.toBe(u.searchParams.get('x-nonce'));
  });

  it('verifies and opens the dashboard without the signing parameters', () => {
    const v = verifyEmbedUrl(sign(), ctx(T0 + 60_000));
    expect(v).toMatchObject({ org: 'acme', grafanaOrgId: 2, expiresAt: T0 + 900_000 });
    expect(v.grafanaPath).toBe(
      '/d/collab-org-admin?orgId=2&var-org=acme&var-room=acme%2Froadmap&from=now-6h&to=now&theme=dark&kiosk='
    );
    expect(verifyEmbedUrl(sign(acme, { panel: 4 }), ctx()).grafanaPath).toMatch(
      /^\/d-solo\/collab-org-admin\?orgId=2&panelId=4&/
    );
  });

  it('refuses expired, tampered, wrong-key, cross-org, unknown-org, over-long and malformed URLs with distinct codes', () => {
    const path = sign();
    expect(refusal(() => verifyEmbedUrl(path, ctx(T0 + 901_000)))).toBe('expired');
    expect(refusal(() => verifyEmbedUrl(path.replace('acme%2Froadmap', 'acme%2Fsecret'), ctx()))).toBe(
      'bad_signature'
    );
    expect(refusal(() => verifyEmbedUrl(path.replace('theme=dark', 'theme=light'), ctx()))).toBe(
      'bad_signature'
    );
    expect(
      refusal(() => verifyEmbedUrl(path.replace('/embed/d/collab-org-admin', '/embed/d/collab-sre'), ctx()))
    ).toBe('bad_signature');
    // Signed by globex, claiming to be acme's.
    expect(
      refusal(() =>
        verifyEmbedUrl(
          resign(path, globex.signingKey, (p) => p.set('x-kid', keyId(globex.signingKey))),
          ctx()
        )
      )
    ).toBe('wrong_key');
    // Globex signs a URL (its own key, its own org) that points at acme's data or Grafana organisation.
    const g = sign(globex);
    expect(
      refusal(() =>
        verifyEmbedUrl(
          resign(g, globex.signingKey, (p) => p.set('var-room', 'acme/roadmap')),
          ctx()
        )
      )
    ).toBe('cross_org');
    expect(
      refusal(() =>
        verifyEmbedUrl(
          resign(g, globex.signingKey, (p) => p.set('orgId', '2')),
          ctx()
        )
      )
    ).toBe('cross_org');
    expect(
      refusal(() =>
        verifyEmbedUrl(
          resign(g, globex.signingKey, (p) => p.set('var-org', 'acme')),
          ctx()
        )
      )
    ).toBe('cross_org');
    expect(
      refusal(() =>
        verifyEmbedUrl(
          resign(path, acme.signingKey, (p) => p.set('x-org', 'initech')),
          ctx()
        )
      )
    ).toBe('unknown_org');
    expect(
      refusal(() =>
        verifyEmbedUrl(
          resign(path, acme.signingKey, (p) => p.set('x-exp', String(T0 / 1000 + 3600))),
          ctx()
        )
      )
    ).toBe('lifetime_exceeded');
    expect(refusal(() => verifyEmbedUrl(path.replace(/&x-sig=[^&]+/, ''), ctx()))).toBe('malformed');
    expect(refusal(() => verifyEmbedUrl(`${path}&x-nonce=again`, ctx()))).toBe('malformed');
    expect(refusal(() => verifyEmbedUrl(path.replace('/embed/d/', '/embed/../api/'), ctx()))).toBe(
      'malformed'
    );
    expect(refusal(() => verifyEmbedUrl('/embed/d/x?x-org=acme', ctx()))).toBe('malformed');
  });

  it('checks the request: dashboard uid, room of the org, Grafana times, theme, lifetime ≤ 15 minutes', () => {
    expect(refusal(() => parseEmbedRequest({ dashboard: '../admin' }, 'acme'))).toBe('malformed');
    expect(refusal(() => parseEmbedRequest({ dashboard: 'd', room: 'globex/plans' }, 'acme'))).toBe(
      'cross_org'
    );
    expect(refusal(() => parseEmbedRequest({ dashboard: 'd', room: 'acme/../x' }, 'acme'))).toBe('malformed');
    expect(refusal(() => parseEmbedRequest({ dashboard: 'd', from: 'now-6h;drop' }, 'acme'))).toBe(
      'malformed'
    );
    expect(refusal(() => parseEmbedRequest({ dashboard: 'd', theme: 'blue' }, 'acme'))).toBe('malformed');
    expect(refusal(() => parseEmbedRequest({ dashboard: 'd', ttlSeconds: 901 }, 'acme'))).toBe(
      'lifetime_exceeded'
    );
    expect(refusal(() => parseEmbedRequest({ dashboard: 'd', admin: true }, 'acme'))).toBe('malformed');
    expect(refusal(() => parseEmbedRequest([], 'acme'))).toBe('malformed');
    const short = signEmbedUrl(
      acme,
      2,
      parseEmbedRequest({ dashboard: 'd', ttlSeconds: 60 }, 'acme'),
      T0,
      900
    );
    expect(short.expiresAt).toBe(T0 + 60_000);
  });
});

describe('NonceLedger', () => {
  it('accepts a nonce once, forgets it after its URL expired, and refuses (busy) rather than forget a live one', () => {
    const l = new NonceLedger(2);
    expect(l.claim('acme', 'n1', T0 + 1000, T0)).toBe(true);
    expect(l.claim('acme', 'n1', T0 + 1000, T0)).toBe(false);
    expect(l.claim('globex', 'n1', T0 + 1000, T0)).toBe(true);
    expect(refusal(() => l.claim('acme', 'n2', T0 + 1000, T0))).toBe('busy');
    expect(l.claim('acme', 'n2', T0 + 5000, T0 + 2000)).toBe(true);
    expect(l.size).toBe(1);
  });
});
