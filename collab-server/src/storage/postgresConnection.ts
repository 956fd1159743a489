/**
 * The PostgreSQL storage's connection health (`postgres.ts`): the pool, checked-out clients that a
 * connection reset cannot crash the pod through, every failed call counted
 * (`collab_pg_errors_total{op}`), logged without the connection string and reported to the listener.
 */
import pg from 'pg';
import type { Registry, RegistryContentType } from 'prom-client';
import { Counter } from 'prom-client';
import { errorMessage, toError } from '@collabblocks/protocol';
import type { PersistEvent } from '../hooks/index.js';
import type { Logger } from '../observability/logger.js';

export interface PostgresStorageListener {
  onPersist?(ev: PersistEvent): void;
  /** A failed database call (`op` is one of append/load/read/snapshot/prune/stats/migrate/pool). */
  onError?(op: string, err: Error): void;
}

export interface PostgresConnectionOptions {
  /** `postgres://user@host:port/db` (never logged). */
  url: string;
  poolSize: number;
  /**
   * No pooled statement runs longer than this (ms): PostgreSQL cancels it (`statement_timeout`), a
   * transaction left idle this long is ended (`idle_in_transaction_session_timeout`), and a reply that
   * never comes fails the call a second later (`query_timeout`). Default 15 000.
   */
  queryTimeoutMs?: number;
  logger?: Logger;
  listener?: PostgresStorageListener;
}

/** Default bound on one pooled statement (see `PostgresConnectionOptions.queryTimeoutMs`). */
export const DEFAULT_QUERY_TIMEOUT_MS = 15_000;

export class PostgresConnection {
  readonly pool: pg.Pool;
  private readonly url: string;
  private readonly log: Logger | undefined;
  private readonly listener: PostgresStorageListener | undefined;
  private errorsTotal: Counter<'op'> | undefined;

  constructor(opts: PostgresConnectionOptions) {
    this.log = opts.logger;
    this.listener = opts.listener;
    this.url = opts.url;
    const timeoutMs = opts.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS;
    // Every call is bounded. Without these, a room load whose SELECT never got an answer (seen in the chaos
    // test after a PostgreSQL restart) held the room's shared load forever: every client of that room waited
    // on that pod, reconnecting into the same wait, and nothing it wrote reached the other pods.
    this.pool = new pg.Pool({
      connectionString: opts.url,
      max: opts.poolSize,
      connectionTimeoutMillis: 3000,
      idleTimeoutMillis: 30_000,
      application_name: 'collab-server',
      statement_timeout: timeoutMs,
      idle_in_transaction_session_timeout: timeoutMs,
      query_timeout: timeoutMs + 1000,
    });
    // An idle client losing its connection (database restart) must not crash the pod.
    this.pool.on('error', (err) => this.recordError('pool', err));
  }

  /** Registers `collab_pg_errors_total` (once) on the pod's registry; false when already registered. */
  registerErrors(registry: Registry<RegistryContentType>): boolean {
    if (this.errorsTotal) return false;
    this.errorsTotal = new Counter({
      name: 'collab_pg_errors_total',
      help: 'Failed PostgreSQL calls by operation',
      labelNames: ['op'],
      registers: [registry],
    });
    return true;
  }

  /** Cheap liveness probe for readiness checks. */
  async ping(): Promise<boolean> {
    try {
      await this.pool.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  /** A checked-out client (see `checkout`); a failure to get one is counted under `op`. */
  async connect(op: string): Promise<pg.PoolClient> {
    try {
      return await this.checkout(op);
    } catch (err) {
      this.recordError(op, err);
      throw err;
    }
  }

  /**
   * A pooled client with an error listener for as long as it is checked out. pg-pool removes its own idle
   * listener while a client is out: a connection reset between two queries (database restart, network
   * fault) was then an unhandled 'error' event that killed the pod (seen in the chaos test, issue 16).
   * The query in flight, if any, still fails by itself; the next one on the broken client too.
   */
  async checkout(op: string): Promise<pg.PoolClient> {
    const client = await this.pool.connect();
    const onError = (err: Error): void => this.recordError(op, err);
    client.on('error', onError);
    const release = client.release;
    client.release = (err?: Error | boolean): void => {
      client.off('error', onError);
      release.call(client, err);
    };
    return client;
  }

  /**
   * A connection of its own, outside the pool and its statement bounds, for work that may rightly run long
   * (migrations building indexes on a large log). The caller ends it.
   */
  async dedicated(op: string): Promise<pg.Client> {
    const client = new pg.Client({
      connectionString: this.url,
      connectionTimeoutMillis: 3000,
      application_name: 'collab-server',
    });
    client.on('error', (err) => this.recordError(op, err));
    try {
      await client.connect();
    } catch (err) {
      this.recordError(op, err);
      await client.end().catch(() => undefined);
      throw err;
    }
    return client;
  }

  /** One statement on any pooled connection; a failure is counted under `op`. */
  async query(op: string, sql: string, params: unknown[]): Promise<pg.QueryResult> {
    try {
      return await this.pool.query(sql, params);
    } catch (err) {
      this.recordError(op, err);
      throw err;
    }
  }

  recordError(op: string, err: unknown): void {
    const e = toError(err);
    this.errorsTotal?.inc({ op });
    // Error messages from pg never carry the connection string; keep only the message and code.
    const code = (err as { code?: unknown }).code;
    this.log?.warn(
      { op, err: e.message, code: typeof code === 'string' ? code : undefined },
      'postgres error'
    );
    this.safeListener(() => this.listener?.onError?.(op, e));
  }

  /** Reports a durable batch to the listener. */
  persisted(ev: PersistEvent): void {
    this.safeListener(() => this.listener?.onPersist?.(ev));
  }

  /** Closes every pooled connection. */
  async end(): Promise<void> {
    await this.pool.end().catch(() => undefined);
  }

  private safeListener(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log?.warn({ err: errorMessage(err) }, 'storage listener threw');
    }
  }
}
