/**
 * A prune that moves a room's retention base past an instant WHILE that
 * instant is being rebuilt (or replayed) must end in `history_pruned`, never
 * in a document or steps with the pruned updates silently missing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HistoryError, rebuildDocAt, TreeReplay, type ReplayPage } from '@collabblocks/monitor';
import { SqliteStorage } from '../src/storage/sqlite.js';
import type { NewUpdate, Storage } from '../src/storage/types.js';
import { history, textAt } from './storage/contract.js';

const ROOM = 'acme/moving';
const dirs: string[] = [];
const opened: Storage[] = [];
afterEach(async () => {
  while (opened.length > 0) await opened.pop()?.close();
  while (dirs.length > 0) rmSync(dirs.pop() as string, { recursive: true, force: true });
});

/** Log seqs 1..9 at t = 100..900, snapshots at seqs 3 (t 300) and 6 (t 600). */
async function seeded(): Promise<{ storage: SqliteStorage; h: ReturnType<typeof history> }> {
  const dir = mkdtempSync(join(tmpdir(), 'collab-moving-'));
  dirs.push(dir);
  const storage = new SqliteStorage({ dataDir: dir });
  await storage.init();
  opened.push(storage);
  const h = history([100, 200, 300, 400, 500, 600, 700, 800, 900]);
  await storage.append(ROOM, h.updates.slice(0, 3) as NewUpdate[]);
  await storage.saveSnapshot(ROOM, h.snapshot(3));
  await storage.append(ROOM, h.updates.slice(3, 6) as NewUpdate[]);
  await storage.saveSnapshot(ROOM, h.snapshot(6));
  await storage.append(ROOM, h.updates.slice(6) as NewUpdate[]);
  return { storage, h };
}

/** Delegates to `inner`; runs `beforeRead` once, just before the first log read. */
function withHook(inner: SqliteStorage, beforeRead: () => Promise<unknown>): Storage {
  let fired = false;
  const hooked = Object.create(inner) as SqliteStorage;
  hooked.readAfter = async (room, afterSeq, limit) => {
    if (!fired) {
      fired = true;
      await beforeRead();
    }
    return inner.readAfter(room, afterSeq, limit);
  };
  return hooked;
}

describe('history while retention moves', () => {
  it('rebuildDocAt: a prune between the snapshot read and the log read gives history_pruned', async () => {
    const { storage, h } = await seeded();
    // Untouched: the instant rebuilds exactly.
    expect(await textAt(storage, ROOM, 450)).toBe(h.textAt(450));
    // The prune (cut-off 650: base seq 6) removes snapshot 3 and log 1..6 after the rebuild chose snapshot 3.
    const moving = withHook(storage, () => storage.prune(650, { snapshotIntervalMs: 0 }));
    const err = await rebuildDocAt(moving, ROOM, 450).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HistoryError);
    expect(err).toMatchObject({ code: 'history_pruned' });
    // Later instants are unaffected.
    expect(await textAt(storage, ROOM, 650)).toBe(h.textAt(650));
  });

  it('TreeReplay.pages: a prune during the replay ends it with history_pruned instead of skipping updates', async () => {
    const { storage } = await seeded();
    const replay = await TreeReplay.open(storage, ROOM, 450); // base = seqs 1..4
    try {
      expect(replay.seq).toBe(4);
      await storage.prune(650, { snapshotIntervalMs: 0 }); // log 5, 6 go
      const pages: ReplayPage[] = [];
      const err = await (async () => {
        for await (const p of replay.pages(storage, ROOM, 1000, 100, 2000)) pages.push(p);
      })().catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'history_pruned' });
      expect(pages.flatMap((p) => p.steps)).toEqual([]);
    } finally {
      replay.close();
    }
  });
});
