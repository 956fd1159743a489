/**
 * Compaction and retention on a running pod (in process): the log is kept
 * after compaction (history), the periodic prune removes only what the
 * window's base snapshot covers, thins the snapshots compaction piles up
 * (`COLLAB_RETENTION_SNAPSHOT_INTERVAL_MS`), and the room reloads intact.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
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

  /** Snapshots of a room and the storage bytes a full recount gives, read from the pod's SQLite file. */
  function onDisk(p: InProcessPod, room: string): { snapshots: number; bytes: number } {
    const db = new Database(path.join(p.dataDir, 'collab.sqlite'), { readonly: true });
    try {
      const r = db
        .prepare<{ room: string }, { snapshots: number; bytes: number }>(
          `SELECT (SELECT COUNT(*) FROM snapshots WHERE room = @room) AS snapshots,
             COALESCE((SELECT SUM(LENGTH(state)) FROM snapshots WHERE room = @room), 0) +
             COALESCE((SELECT SUM(LENGTH(bytes)) FROM updates WHERE room = @room), 0) AS bytes`
        )
        .get({ room });
      return r ?? { snapshots: 0, bytes: 0 };
    } finally {
      db.close();
    }
  }

  async function busyRoom(p: InProcessPod, room: string): Promise<void> {
    const c = connectClient(p.wsUrl, room, await mintToken({ org: 'acme' }));
    clients.push(c);
    await c.synced;
    // Compaction every 20 ms while edits keep coming: a snapshot per compaction.
    for (let i = 0; i < 30; i++) {
      c.doc.getArray<number>('a').push([i]);
      await sleep(25);
    }
    await waitFor(() => (p.server.rooms.get(room)?.seq ?? 0) === 30, 5000, 'all durable');
    await sleep(400); // last compaction, then several prune runs
  }

  it('thins the snapshots compaction piles up to one per interval (plus the latest); stats count what is kept', async () => {
    const p = await startInProcess({
      env: { COLLAB_COMPACT_INTERVAL_MS: '20', COLLAB_PRUNE_INTERVAL_MS: '100' },
    });
    pods.push(p);
    await busyRoom(p, 'acme/thinned');
    // Default interval 1 h: the 30 edits fall in one or two hours.
    const disk = onDisk(p, 'acme/thinned');
    expect(disk.snapshots).toBeGreaterThanOrEqual(1);
    expect(disk.snapshots).toBeLessThanOrEqual(2);
    // Retention is 7 days: the whole log is kept.
    expect((await p.server.storage.readAfter('acme/thinned', 0, 100)).length).toBe(30);
    const stats = (await p.server.storage.stats()).find((x) => x.room === 'acme/thinned');
    expect(stats?.bytes).toBe(disk.bytes);
    // The room reloads intact from the latest snapshot.
    const d = connectClient(p.wsUrl, 'acme/thinned', await mintToken({ org: 'acme' }));
    clients.push(d);
    await d.synced;
    expect(d.doc.getArray<number>('a').toArray()).toEqual([...Array(30).keys()]);
  });

  it('COLLAB_RETENTION_SNAPSHOT_INTERVAL_MS=0 keeps every snapshot inside the window', async () => {
    const p = await startInProcess({
      env: {
        COLLAB_COMPACT_INTERVAL_MS: '20',
        COLLAB_PRUNE_INTERVAL_MS: '100',
        COLLAB_RETENTION_SNAPSHOT_INTERVAL_MS: '0',
      },
    });
    pods.push(p);
    await busyRoom(p, 'acme/kept');
    const disk = onDisk(p, 'acme/kept');
    expect(disk.snapshots).toBeGreaterThan(5);
    expect((await p.server.storage.stats()).find((x) => x.room === 'acme/kept')?.bytes).toBe(disk.bytes);
  });
});
