/**
 * Inspect fairness (issue 16 item 4): session caps per org and per API key, and sockets that
 * never authenticate kept on their own small budget — per remote address, with room made for a
 * newcomer from another address — so neither one org nor a pile of idle sockets locks the next
 * inspector out. Sockets come from several loopback addresses (127.0.0.x) to act as several hosts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CloseCode } from '@collabblocks/protocol';
import { loadConfig } from '../src/config.js';
import { readInspectConfig } from '../src/inspect/config.js';
import { startPod } from './helpers/pod.js';
import { TEST_JWT_SECRET } from './helpers/jwt.js';
import { startHarness, type Harness } from './inspect.harness.js';
import { InspectClient, KEYS, mintInspect } from './inspect.client.js';

let h: Harness | null = null;
const opened: InspectClient[] = [];

afterEach(async () => {
  for (const c of opened.splice(0)) c.ws.terminate();
  await h?.close();
  h = null;
});

async function open(harness: Harness, localAddress = '127.0.0.1'): Promise<InspectClient> {
  const c = await InspectClient.open(harness.wsUrl, '/inspect', { localAddress });
  opened.push(c);
  return c;
}

/** Opens a socket and authenticates with `token`: the first reply (authenticated or error). */
async function authWith(harness: Harness, token: string, localAddress?: string) {
  const c = await open(harness, localAddress);
  return { c, reply: await c.auth(token) };
}

describe('session caps per org and per key', () => {
  it('one org cannot hold every session of the pod; another org still gets in', async () => {
    h = await startHarness({ maxSessions: 10, maxSessionsPerOrg: 2 });
    const harness = h;
    for (let i = 0; i < 2; i++) {
      expect((await authWith(harness, await harness.mint('acme'))).reply.type).toBe('authenticated');
    }
    const third = await authWith(harness, await harness.mint('acme'));
    expect(third.reply).toMatchObject({ type: 'error', code: 'rate_limited', fatal: true });
    expect((third.reply as { message: string }).message).toMatch(/for this org/);
    expect((await third.c.closed).code).toBe(CloseCode.RATE_LIMITED);
    expect((await authWith(harness, await harness.mint('beta'))).reply.type).toBe('authenticated');
    // A session that ends frees its org's place.
    const first = opened[0] as InspectClient;
    first.ws.close();
    await first.closed;
    await expect
      .poll(async () => (await authWith(harness, await harness.mint('acme'))).reply.type)
      .toBe('authenticated');
  });

  it('one API key cannot hold every session of its org; another key of the org still gets in', async () => {
    h = await startHarness({ maxSessions: 10, maxSessionsPerOrg: 10, maxSessionsPerKey: 2 });
    const harness = h;
    for (let i = 0; i < 2; i++) {
      expect((await authWith(harness, await harness.mint('acme', 'k_script'))).reply.type).toBe(
        'authenticated'
      );
    }
    const third = await authWith(harness, await harness.mint('acme', 'k_script'));
    expect(third.reply).toMatchObject({ type: 'error', code: 'rate_limited', fatal: true });
    expect((third.reply as { message: string }).message).toMatch(/for this API key/);
    expect((await authWith(harness, await harness.mint('acme', 'k_grafana'))).reply.type).toBe(
      'authenticated'
    );
  });
});

describe('unauthenticated sockets', () => {
  it('idle sockets from one address cannot lock the next inspector out', async () => {
    h = await startHarness({ maxUnauthenticated: 4, maxUnauthenticatedPerAddress: 4 });
    const harness = h;
    // Four sockets that never authenticate fill the pod's budget…
    const idle = [];
    for (let i = 0; i < 4; i++) idle.push(await open(harness, '127.0.0.2'));
    // …a fifth from the same address is refused at once…
    const over = await open(harness, '127.0.0.2');
    expect((await over.closed).code).toBe(CloseCode.RATE_LIMITED);
    // …but an inspector from another address gets in: the oldest idle socket makes room.
    const inspector = await authWith(harness, await harness.token(), '127.0.0.3');
    expect(inspector.reply.type).toBe('authenticated');
    expect((await (idle[0] as InspectClient).closed).code).toBe(CloseCode.RATE_LIMITED);
    expect(idle.slice(1).every((s) => s.closeInfo === null)).toBe(true);
  });

  it('one address holds at most its own budget of unauthenticated sockets', async () => {
    h = await startHarness({ maxUnauthenticated: 64, maxUnauthenticatedPerAddress: 3 });
    const harness = h;
    for (let i = 0; i < 3; i++) await open(harness, '127.0.0.2');
    const fourth = await open(harness, '127.0.0.2');
    const closed = await fourth.closed;
    expect(closed.code).toBe(CloseCode.RATE_LIMITED);
    expect(closed.reason).toMatch(/from this address/);
    expect((await authWith(harness, await harness.token(), '127.0.0.4')).reply.type).toBe('authenticated');
  });

  it('the auth deadline is configurable, announced in hello and enforced', async () => {
    h = await startHarness({ authTimeoutMs: 300 });
    const c = await open(h);
    const hello = await c.waitFor((m) => m.type === 'hello');
    expect(hello).toMatchObject({ authTimeoutMs: 300 });
    // Enforced: the client sends nothing, so only the deadline can close it (with its own code); without
    // it the socket would stay open (the test's timeout). No wall-clock bound: it flakes on a loaded machine.
    expect((await c.closed).code).toBe(CloseCode.AUTH_TIMEOUT);
  });
});

describe('on a real pod', () => {
  it('tokens minted by /api/inspect/token count against their API key (COLLAB_INSPECT_MAX_SESSIONS_PER_KEY)', async () => {
    const pod = await startPod({ env: { COLLAB_INSPECT_MAX_SESSIONS_PER_KEY: '1' } });
    const clients: InspectClient[] = [];
    try {
      const session = async (key: string) => {
        const c = await InspectClient.open(pod.wsUrl);
        clients.push(c);
        const tok = await mintInspect(pod.httpUrl, key, 'metadata');
        return c.auth(tok.token);
      };
      expect((await session(KEYS.metadata)).type).toBe('authenticated');
      const second = await session(KEYS.metadata);
      expect(second).toMatchObject({ type: 'error', code: 'rate_limited', fatal: true });
      expect((second as { message: string }).message).toMatch(/for this API key/);
      // Another key of the same org still gets in.
      expect((await session(KEYS.content)).type).toBe('authenticated');
    } finally {
      for (const c of clients) c.ws.terminate();
      await pod.cleanup();
    }
  });

  it('reads the caps from COLLAB_INSPECT_* and refuses bad values', () => {
    const cfg = loadConfig({ COLLAB_JWT_SECRET: TEST_JWT_SECRET });
    expect(readInspectConfig({}, cfg)).toMatchObject({
      maxSessions: 500,
      maxSessionsPerOrg: 100,
      maxSessionsPerKey: 50,
      maxUnauthenticated: 64,
      maxUnauthenticatedPerAddress: 8,
      authTimeoutMs: 2000,
    });
    const env = {
      COLLAB_INSPECT_MAX_SESSIONS_PER_ORG: '7',
      COLLAB_INSPECT_MAX_SESSIONS_PER_KEY: '3',
      COLLAB_INSPECT_MAX_UNAUTHENTICATED: '20',
      COLLAB_INSPECT_MAX_UNAUTHENTICATED_PER_ADDRESS: '2',
      COLLAB_INSPECT_AUTH_TIMEOUT_MS: '500',
    };
    expect(readInspectConfig(env, cfg)).toMatchObject({
      maxSessionsPerOrg: 7,
      maxSessionsPerKey: 3,
      maxUnauthenticated: 20,
      maxUnauthenticatedPerAddress: 2,
      authTimeoutMs: 500,
    });
    expect(() => readInspectConfig({ COLLAB_INSPECT_AUTH_TIMEOUT_MS: '50' }, cfg)).toThrow(/AUTH_TIMEOUT_MS/);
    expect(() => readInspectConfig({ COLLAB_INSPECT_MAX_SESSIONS_PER_ORG: '0' }, cfg)).toThrow(/PER_ORG/);
  });
});
