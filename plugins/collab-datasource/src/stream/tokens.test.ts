import { describe, expect, it } from 'vitest';

import { HttpStatusError, TokenSource } from './tokens';

const body = (scope: string, expiresAt: number) => ({ token: `${scope}-t`, expiresAt, scope, org: 'acme' });

describe('TokenSource', () => {
  it('asks content first, falls back to metadata on 403 and stays there', async () => {
    const asked: string[] = [];
    const src = new TokenSource({
      preferred: 'content',
      fetch: async (scope) => {
        asked.push(scope);
        if (scope === 'content') throw new HttpStatusError(403, 'plugin proxy route access denied');
        return body(scope, Date.now() + 60_000);
      },
    });
    const t = await src.get();
    expect(t.scope).toBe('metadata');
    expect(src.downgraded).toBe(true);
    src.invalidate();
    await src.get();
    expect(asked).toEqual(['content', 'metadata', 'metadata']);
  });

  it('caches a token until the refresh margin and dedupes concurrent mints', async () => {
    let now = 1_000_000;
    let calls = 0;
    const src = new TokenSource({
      preferred: 'metadata',
      marginMs: 30_000,
      now: () => now,
      fetch: async (scope) => {
        calls += 1;
        return body(scope, now + 300_000);
      },
    });
    await Promise.all([src.get(), src.get(), src.get()]);
    expect(calls).toBe(1);
    now += 200_000;
    await src.get();
    expect(calls).toBe(1);
    now += 80_000; // 20 s left < 30 s margin
    await src.get();
    expect(calls).toBe(2);
    // A refresh asks for a token outliving the one in use: re-minted even inside the margin.
    const current = await src.get();
    await src.get({ expiringAfter: current.expiresAt });
    expect(calls).toBe(3);
  });

  it('rejects a malformed token body and propagates other HTTP errors', async () => {
    const bad = new TokenSource({ preferred: 'metadata', fetch: async () => ({ nope: true }) });
    await expect(bad.get()).rejects.toThrow(/unexpected body/);
    const down = new TokenSource({
      preferred: 'content',
      fetch: async () => {
        throw new HttpStatusError(502, 'bad gateway');
      },
    });
    await expect(down.get()).rejects.toThrow(/bad gateway/);
    expect(down.currentScope).toBe('content');
  });
});
