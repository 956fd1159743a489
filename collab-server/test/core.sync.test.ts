/**
 * Stock y-websocket clients against a real pod process: convergence on
 * Y.Text / Y.Map / Y.Array, awareness propagation and removal on disconnect,
 * late joiners receiving the state.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClient, waitFor, type StockClient } from './helpers/clients.js';
import { mintToken } from './helpers/jwt.js';
import { startPod, type PodProcess } from './helpers/pod.js';

describe('core: stock y-websocket clients', () => {
  let pod: PodProcess;
  const clients: StockClient[] = [];
  const client = (room: string, token: string, opts = {}): StockClient => {
    const c = connectClient(pod.wsUrl, room, token, opts);
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    pod = await startPod();
  });
  afterAll(async () => {
    for (const c of clients) c.destroy();
    await pod?.cleanup();
  });

  it('two clients converge on Y.Text, Y.Map and Y.Array edits', async () => {
    const token = await mintToken({ org: 'acme', sub: 'alice' });
    const a = client('acme/converge', token);
    const b = client('acme/converge', await mintToken({ org: 'acme', sub: 'bob' }));
    await Promise.all([a.synced, b.synced]);

    a.doc.getText('t').insert(0, 'hello');
    b.doc.getMap('m').set('k', 42);
    a.doc.getArray<number>('a').push([1, 2]);
    b.doc.getArray<number>('a').push([3]);
    b.doc.getText('t').insert(0, '>> ');

    const snapshot = (c: StockClient) =>
      JSON.stringify({
        t: c.doc.getText('t').toString(),
        m: c.doc.getMap('m').toJSON(),
        a: c.doc.getArray('a').toJSON(),
      });
    await waitFor(
      () => snapshot(a) === snapshot(b) && a.doc.getArray('a').length === 3 && a.doc.getMap('m').has('k'),
      10_000,
      'convergence'
    );
    expect(a.doc.getText('t').toString()).toContain('hello');
    expect(a.doc.getText('t').toString()).toContain('>> ');
    expect(b.doc.getMap('m').get('k')).toBe(42);
    expect([...a.doc.getArray<number>('a').toArray()].sort()).toEqual([1, 2, 3]);

    // A late joiner gets the full state from the pod.
    const c = client('acme/converge', await mintToken({ org: 'acme', sub: 'carol' }));
    await c.synced;
    await waitFor(() => snapshot(c) === snapshot(a), 5000, 'late joiner state');
  });

  it('rooms are isolated from each other', async () => {
    const token = await mintToken({ org: 'acme' });
    const a = client('acme/iso-1', token);
    const b = client('acme/iso-2', token);
    await Promise.all([a.synced, b.synced]);
    a.doc.getText('t').insert(0, 'only in iso-1');
    const probe = client('acme/iso-1', token);
    await waitFor(() => probe.doc.getText('t').toString() === 'only in iso-1', 5000, 'probe');
    expect(b.doc.getText('t').toString()).toBe('');
  });

  it('awareness propagates and is removed when a client disconnects', async () => {
    const a = client('acme/presence', await mintToken({ org: 'acme', sub: 'alice' }), {
      awareness: { user: 'a', cursor: 1 },
    });
    const b = client('acme/presence', await mintToken({ org: 'acme', sub: 'bob' }), {
      awareness: { user: 'b', cursor: 2 },
    });
    await Promise.all([a.synced, b.synced]);
    const aId = a.doc.clientID;
    await waitFor(() => b.provider.awareness.getStates().get(aId)?.user === 'a', 5000, 'a seen by b');
    await waitFor(
      () => a.provider.awareness.getStates().get(b.doc.clientID)?.user === 'b',
      5000,
      'b seen by a'
    );
    a.provider.awareness.setLocalStateField('cursor', 7);
    await waitFor(() => b.provider.awareness.getStates().get(aId)?.cursor === 7, 5000, 'cursor update');

    // Hard disconnect (no awareness "null" from the client): the pod removes a's states.
    const ws = a.provider.ws;
    a.provider.shouldConnect = false;
    (ws as unknown as { terminate?: () => void })?.terminate?.();
    await waitFor(() => !b.provider.awareness.getStates().has(aId), 5000, 'a removed from b');
  });
});
