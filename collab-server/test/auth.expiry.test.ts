/**
 * Token expiry ends an editing connection (issue 16 item 6): a real pod, stock y-websocket clients. The
 * writer's token expires while it types; the pod closes it with AUTH_EXPIRED (4407) at `exp` and applies
 * nothing it sent afterwards; the stock client stops (4400-4499 are final for it) and emits `closed`, and
 * with a fresh token in `provider.params` and `provider.connect()` its edits — also those typed while it
 * was disconnected — reach everyone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { CloseCode } from '@collabblocks/protocol';
import { connectClient, waitFor, type StockClient } from './helpers/clients.js';
import { mintToken } from './helpers/jwt.js';
import { startPod, type PodProcess } from './helpers/pod.js';

/** The `exp` (epoch seconds) of a JWT, read from its payload. */
function expOf(token: string): number {
  const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
    exp: number;
  };
  return payload.exp;
}

describe('editing connections end with their token', () => {
  let pod: PodProcess;
  const clients: StockClient[] = [];
  beforeAll(async () => {
    pod = await startPod();
  });
  afterAll(async () => {
    for (const c of clients) c.destroy();
    await pod?.cleanup();
  });

  it('closes with 4407 at exp, applies nothing sent after it, and the stock client resumes with a fresh token', async () => {
    const room = 'acme/expiry';
    const observer = connectClient(pod.wsUrl, room, await mintToken({ org: 'acme', sub: 'observer' }));
    clients.push(observer);
    await observer.synced;
    const short = await mintToken({ org: 'acme', sub: 'writer', expiresInSec: 3 });
    const expMs = expOf(short) * 1000;
    const writer = connectClient(pod.wsUrl, room, short, { reconnect: true });
    clients.push(writer);
    const closed: Array<{ code: number; reason: string }> = [];
    writer.provider.on('closed', (ev: { code: number; reason: string }) => closed.push(ev));
    await writer.synced;

    // Type an entry (stamped with the time it is sent) every 50 ms until the pod closes the writer,
    // and for at most 5 s past exp: before the fix the connection simply stayed open.
    const log = writer.doc.getArray<number>('log');
    while (closed.length === 0 && Date.now() < expMs + 5_000) {
      log.push([Date.now()]);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(closed[0]?.code).toBe(CloseCode.AUTH_EXPIRED);
    expect(writer.closes[0]?.code).toBe(CloseCode.AUTH_EXPIRED);
    expect(writer.provider.shouldConnect).toBe(false);
    // Entries typed after the close stay local for now.
    log.push([Date.now()]);
    const typed = log.length;

    // What the observer got: everything the pod applied from this connection. A room applies and
    // broadcasts updates in arrival order, so once an update sent now by another client has reached
    // the observer, so has every update the pod took from the writer.
    const barrier = connectClient(pod.wsUrl, room, await mintToken({ org: 'acme', sub: 'barrier' }));
    clients.push(barrier);
    await barrier.synced;
    barrier.doc.getMap('barrier').set('after', true);
    await waitFor(() => observer.doc.getMap('barrier').get('after') === true, 10_000, 'barrier update');
    const seen = observer.doc.getArray<number>('log').toArray();
    expect(seen.length).toBeGreaterThan(0);
    // Timers of the pod and Date.now() here share one clock; 5 ms for ms rounding of the two.
    expect(seen.filter((t) => t >= expMs + 5)).toEqual([]);
    expect(seen.length).toBeLessThan(typed);

    // A fresh token and connect(): the writer's edits (also the ones typed while closed) reach everyone.
    writer.provider.params = { token: await mintToken({ org: 'acme', sub: 'writer', expiresInSec: 60 }) };
    writer.provider.connect();
    await waitFor(() => observer.doc.getArray('log').length === typed, 10_000, 'writer resumed');
    await waitFor(() => writer.doc.getMap('barrier').get('after') === true, 10_000, 'writer synced');
    expect(Y.encodeStateVector(observer.doc)).toEqual(Y.encodeStateVector(writer.doc));
    expect(writer.closes).toHaveLength(1);
  }, 30_000);
});
