/**
 * SQLite storage (the embedded default): the shared storage contract suite,
 * the same one `storage.postgres.test.ts` runs against PostgreSQL.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { SqliteStorage } from '../src/storage/sqlite.js';
import { storageContract } from './storage/contract.js';

storageContract({
  name: 'sqlite',
  async fresh() {
    const dataDir = mkdtempSync(join(tmpdir(), 'collab-sqlite-contract-'));
    return {
      async open() {
        const s = new SqliteStorage({ dataDir });
        await s.init();
        return s;
      },
      async dispose() {
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  },
});

describe('SQLite storage upgrades', () => {
  it('v1 -> v2: a database whose stats counted only the latest snapshot is recounted (every snapshot)', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'collab-sqlite-v1-'));
    try {
      const s = new SqliteStorage({ dataDir });
      await s.init();
      await s.append('acme/old', [
        { clientId: 1, ts: 5, update: new Uint8Array([1, 2, 3]) },
        { clientId: 1, ts: 6, update: new Uint8Array([4]) },
      ]);
      await s.saveSnapshot('acme/old', { seq: 1, ts: 5, state: new Uint8Array(9) });
      await s.saveSnapshot('acme/old', { seq: 2, ts: 6, state: new Uint8Array(20) });
      await s.close();
      // The v1 layout: no snap_count, snap_bytes = the latest snapshot only.
      const raw = new Database(join(dataDir, 'collab.sqlite'));
      raw.exec(`DROP TABLE room_stats;
        CREATE TABLE room_stats (room TEXT PRIMARY KEY, ops INTEGER NOT NULL DEFAULT 0,
          log_bytes INTEGER NOT NULL DEFAULT 0, last_seq INTEGER NOT NULL DEFAULT 0,
          last_ts INTEGER NOT NULL DEFAULT 0, snap_seq INTEGER NOT NULL DEFAULT 0,
          snap_bytes INTEGER NOT NULL DEFAULT 0, snap_ts INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
        INSERT INTO room_stats VALUES ('acme/old', 2, 4, 2, 6, 2, 20, 6);`);
      raw.pragma('user_version = 1');
      raw.close();
      const again = new SqliteStorage({ dataDir });
      await again.init();
      expect(await again.stats()).toEqual([
        { room: 'acme/old', org: 'acme', ops: 2, bytes: 4 + 9 + 20, lastSeq: 2, lastTs: 6 },
      ]);
      // And the aggregates keep counting from there (snapshot 1 is before the base at seq 2).
      expect(await again.prune(10)).toBe(2);
      expect(await again.stats()).toEqual([
        { room: 'acme/old', org: 'acme', ops: 0, bytes: 20, lastSeq: 2, lastTs: 6 },
      ]);
      await again.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
