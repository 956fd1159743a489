/**
 * Storage factory: `COLLAB_STORAGE=sqlite` (default, embedded) or `postgres`
 * (`COLLAB_PG_URL`; loaded lazily so a SQLite pod never loads `pg`).
 */
import type { Config } from '../config.js';
import type { Logger } from '../observability/logger.js';
import { SqliteStorage } from './sqlite.js';
import type { Storage } from './types.js';

export type { Storage } from './types.js';
export { SqliteStorage } from './sqlite.js';

export async function createStorage(config: Config, logger?: Logger): Promise<Storage> {
  if (config.storage.kind === 'sqlite') {
    return new SqliteStorage({ dataDir: config.storage.dataDir, sync: config.storage.sqliteSync });
  }
  const { createPostgresStorage } = await import('./postgres.js');
  return createPostgresStorage(config, logger ? { logger } : {});
}
