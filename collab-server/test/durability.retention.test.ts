/**
 * Compaction and retention on a running pod (in process): the log is kept
 * after compaction (history), the periodic prune removes only what the
 * latest snapshot covers, and the room reloads intact from snapshot + tail.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { connectClient, sleep, waitFor, type StockClient } from './helpers/clients.js';
import { startInProcess, type InProcessPod } from './helpers/inproc.js';
import { mintToken } from './helpers/jwt.js';

const pods: InProcessPod[] = [];
const clients: StockClient[] = [];
afterEach(async () => {
  while (clients.length > 0) clients.pop()!.destroy();
  while (pods.length > 0) await pods.pop()!.close();
});

describe('compaction and retention', () => {
  it('keeps the log through compaction when retention is long', async () => {
    const p = await startInProcess({ env: { COLLAB_COMPACT_OPS: '10', COLLAB_PRUNE_INTERVAL_MS: '100' } });
    pods.push(p);
    const c = connectClient(p.wsUrl, 'acme/hist', await mintToken({ org: 'acme' }));
    clients.push(c);
    await c.synced;
    for (let i = 0; i < 25; i++) c.doc.getArray<number>('a').push([i]);
    await waitFor(async () => (await p.server.storage.load('acme/hist')).snapshot !== null, 5000, 'snapshot');
    await waitFor(
      async () => (await p.server.storage.readAfter('acme/hist', 0, 100)).length === 25,
      5000,
      'log'
    );
    await sleep(300); // several prune runs
    expect((await p.server.storage.readAfter('acme/hist', 0, 100)).length).toBe(25);
  });

  it('prunes covered history after the retention period; the room reloads intact', async () => {
    const p = await startInProcess({
      env: {
        COLLAB_COMPACT_OPS: '10',
        COLLAB_RETENTION_MS: '0',
        COLLAB_PRUNE_INTERVAL_MS: '100',
        COLLAB_ROOM_IDLE_MS: '100',
      },
    });
    pods.push(p);
    const c = connectClient(p.wsUrl, 'acme/pruned', await mintToken({ org: 'acme' }));
    clients.push(c);
    await c.synced;
    for (let i = 0; i < 25; i++) c.doc.getArray<number>('a').push([i]);
    await waitFor(() => (p.server.rooms.get('acme/pruned')?.seq ?? 0) === 25, 5000, 'all durable');
    c.destroy();
    clients.pop();
    // Idle unload runs the final compaction (snapshot at seq 25); the prune then drops the covered log.
    await waitFor(
      async () => (await p.server.storage.load('acme/pruned')).snapshot?.seq === 25,
      5000,
      'final'
    );
    await waitFor(
      async () => (await p.server.storage.readAfter('acme/pruned', 0, 100)).length === 0,
      5000,
      'log pruned'
    );
    const d = connectClient(p.wsUrl, 'acme/pruned', await mintToken({ org: 'acme' }));
    clients.push(d);
    await d.synced;
    expect(d.doc.getArray<number>('a').toArray()).toEqual([...Array(25).keys()]);
    // New updates continue the seq after the pruned log.
    d.doc.getArray<number>('a').push([25]);
    await waitFor(
      async () => (await p.server.storage.readAfter('acme/pruned', 0, 10)).length === 1,
      5000,
      'new'
    );
    expect((await p.server.storage.readAfter('acme/pruned', 0, 10))[0]?.seq).toBe(26);
  });
});
