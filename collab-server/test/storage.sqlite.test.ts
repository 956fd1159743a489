/**
 * SQLite storage (the embedded default): the shared storage contract suite,
 * the same one `storage.postgres.test.ts` runs against PostgreSQL.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
