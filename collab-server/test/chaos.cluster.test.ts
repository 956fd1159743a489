/**
 * Chaos (the platform plan's test, issue 16): two pods on real Redis + PostgreSQL, stock y-websocket
 * clients writing all the time, and a fixed budget of COLLAB_CHAOS_FAULTS (default 24) random faults, one every 0.6-2 s:
 *
 *   - SIGKILL of a pod, restarted 0.3-2 s later (new process, new port behind the same proxy);
 *   - Redis killed and restarted; PostgreSQL killed (immediate shutdown) and restarted;
 *   - network faults on every path through a TCP fault proxy (test/infra/faultProxy.ts): clients↔pods,
 *     pods↔Redis and pods↔PostgreSQL each get latency + jitter, stalls and connection resets.
 *
 * Randomness is seeded (COLLAB_CHAOS_SEED, printed) so a failure can be replayed. When the chaos ends, half of
 * the writers vanish for good (their unsent edits with them, as a closed browser tab); everything is
 * healed, and the test asserts:
 *
 *   1. 0 acknowledged updates lost. An update is acknowledged once ANOTHER client has received it: the
 *      pod broadcasts an update only after it is durable in PostgreSQL (docs/CLUSTER.md: "acknowledged (=
 *      broadcast, hence durable)"); the y-websocket protocol has no other acknowledgement. Every update
 *      acknowledged by then — also those of the vanished writers, which can never re-send them — must be
 *      on every pod and in a pod started afterwards on the same database with no client connected.
 *   2. Durable when acknowledged, read from PostgreSQL itself: every acknowledged entry is in the `ops`
 *      log in a row stamped (`ts`, the pod's clock when it appended the update, before its commit) no
 *      later than the moment a client first received it. What live clients converge to cannot show a
 *      pod that acknowledges an update whose write silently did not happen (a "swallowed commit"): every
 *      client that received it re-sends it when it reconnects to a pod that lacks it, and a snapshot of
 *      a pod's memory holds it too, so it reaches storage later — this check sees that it came too late.
 *   3. Convergence: the remaining writers and a fresh client on each pod end up with the same document,
 *      holding every entry the remaining writers made (they keep their unsent edits and re-sync).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it, onTestFailed } from 'vitest';
import * as Y from 'yjs';
import { connectClient, sleep, waitFor, type StockClient } from './helpers/clients.js';
import { mintToken } from './helpers/jwt.js';
import { SERVER_DIR, startPod, type PodProcess } from './helpers/pod.js';
import { FaultProxy, seededRandom } from './infra/faultProxy.js';
import { PostgresServer } from './infra/postgres.js';
import { RedisServer } from './infra/redis.js';

// Pods are started and restarted many times: from the build (`npm run build`, as CI does before the
// tests) when there is one — a tsx start transpiles the sources each time, tens of seconds on a loaded
// machine. COLLAB_TEST_POD_DIST=0 forces the sources.
if (process.env.COLLAB_TEST_POD_DIST === undefined && existsSync(path.join(SERVER_DIR, 'dist/main.js'))) {
  process.env.COLLAB_TEST_POD_DIST = '1';
}
/** The fault budget: this many faults, one every 0.6-2 s (so the chaos lasts 15-48 s, ~31 s on average). */
const FAULTS = Number(process.env.COLLAB_CHAOS_FAULTS ?? 24);
const SEED = Number(process.env.COLLAB_CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31));
const ROOM = 'acme/chaos';
const WRITERS = 4;
const WRITE_EVERY_MS = 150;

/**
 * The `ops` log of `room` as PostgreSQL holds it: for every entry (a string pushed to the `log` array),
 * the earliest `ts` of a row whose update inserts it.
 */
async function storedEntries(pgUrl: string, room: string): Promise<Map<string, number>> {
  const client = new pg.Client({ connectionString: pgUrl });
  await client.connect();
  try {
    const r = await client.query<{ ts: string; op_bin: Buffer }>(
      'SELECT ts, op_bin FROM ops WHERE room_id = $1 ORDER BY seq',
      [room]
    );
    const first = new Map<string, number>();
    for (const row of r.rows) {
      const ts = Number(row.ts);
      for (const s of Y.decodeUpdate(new Uint8Array(row.op_bin)).structs) {
        if (!(s instanceof Y.Item) || !(s.content instanceof Y.ContentAny)) continue;
        for (const v of s.content.arr) {
          if (typeof v !== 'string') continue;
          const seen = first.get(v);
          if (seen === undefined || ts < seen) first.set(v, ts);
        }
      }
    }
    return first;
  } finally {
    await client.end();
  }
}

/** The URL with its port replaced (services reached through their proxy). */
function viaPort(url: string, port: number): string {
  const u = new URL(url);
  u.port = String(port);
  return u.toString();
}

// Runs on its own in `npm test` (scripts/test.d/chaos.sh sets COLLAB_CHAOS=1), not in parallel with the
// other pod tests of this workspace's vitest run: it keeps two pods, Redis and PostgreSQL busy.
describe.skipIf(process.env.COLLAB_CHAOS !== '1')(
  'chaos: two pods, Redis, PostgreSQL, pod kills, restarts and network faults',
  () => {
    const cleanups: Array<() => Promise<unknown>> = [];
    afterAll(async () => {
      for (const c of cleanups.reverse()) await c().catch(() => undefined);
    }, 60_000);

    it('loses no acknowledged update and converges after healing', async () => {
      // The fault schedule has its own stream, and draws the same five numbers for every fault whatever
      // it turns out to be (or whether it is skipped): the seed alone decides which faults come, when and
      // how strong. The proxies' jitter draws per chunk of traffic, so each proxy has a stream of its own —
      // sharing one made the schedule depend on the traffic, and a seed did not replay its faults (the
      // failure once seen with seed 124990649 could not be replayed for that reason).
      const random = seededRandom(SEED);
      let proxyStreams = 0;
      console.log(
        `chaos seed=${SEED} (replay: COLLAB_CHAOS_SEED=${SEED}) faults=${FAULTS}, pods from ${
          process.env.COLLAB_TEST_POD_DIST === '1'
            ? 'dist/'
            : process.env.COLLAB_TEST_POD_DIST && process.env.COLLAB_TEST_POD_DIST !== '0'
              ? `${process.env.COLLAB_TEST_POD_DIST}/`
              : 'src/ (tsx)'
        }`
      );
      const pick = <T>(x: number, xs: readonly T[]): T => xs[Math.floor(x * xs.length)] as T;
      const between = (x: number, lo: number, hi: number): number => lo + x * (hi - lo);

      const [redis, postgres] = await Promise.all([RedisServer.start(), PostgresServer.start()]);
      cleanups.push(
        () => redis.destroy(),
        () => postgres.destroy()
      );
      const pgUrl = await postgres.createDatabase('chaos');
      const mkProxy = async (target: number, name: string): Promise<FaultProxy> => {
        proxyStreams += 1;
        const p = await FaultProxy.start(target, {
          name,
          random: seededRandom((SEED ^ Math.imul(proxyStreams, 0x9e3779b9)) >>> 0),
        });
        cleanups.push(() => p.close());
        return p;
      };
      // Each pod reaches Redis and PostgreSQL through its own proxies; clients reach each pod through one.
      const backProxies = await Promise.all(
        [0, 1].flatMap((i) => [mkProxy(redis.port, `pod${i}↔redis`), mkProxy(postgres.port, `pod${i}↔pg`)])
      );
      const envOf = (i: number): Record<string, string> => ({
        COLLAB_STORAGE: 'postgres',
        COLLAB_PG_URL: viaPort(pgUrl, (backProxies[2 * i + 1] as FaultProxy).port),
        COLLAB_REDIS_URL: viaPort(redis.url, (backProxies[2 * i] as FaultProxy).port),
        COLLAB_CLUSTER_SWEEP_MS: '2000',
        COLLAB_ROOM_IDLE_MS: '120000',
        // startPod reads the port from the info-level "collab pod listening" line (with `warn` here every
        // first start waited out its timeout with no output: the stall of issue 16).
        COLLAB_LOG_LEVEL: process.env.COLLAB_CHAOS_LOG_LEVEL ?? 'info',
      });
      const pods: Array<PodProcess | null> = await Promise.all(
        [0, 1].map((i) => startPod({ env: envOf(i), startTimeoutMs: 60_000 }))
      );
      const everyPod: PodProcess[] = [];
      cleanups.push(() => Promise.allSettled(everyPod.map((p) => p.cleanup())));
      // A pod must never die of a fault by itself (only our SIGKILLs end one).
      const killedByUs = new Set<PodProcess>();
      const crashes: string[] = [];
      const track = (pod: PodProcess, i: number): void => {
        everyPod.push(pod);
        void pod.exited.then((info) => {
          if (killedByUs.has(pod)) return;
          const why = pod
            .output()
            .split('\n')
            .filter((l) => /Error|error/.test(l))
            .slice(0, 3)
            .join(' | ');
          crashes.push(`pod${i} exited by itself (${info.code ?? info.signal}): ${why}`);
          if (pods[i] === pod) pods[i] = null;
        });
      };
      pods.forEach((p, i) => track(p as PodProcess, i));
      const events: string[] = [];
      const eventsFrom = Date.now();
      /** A fault or a supervisor's step, stamped with seconds since the pods first started. */
      const note = (event: string): void => {
        events.push(`${((Date.now() - eventsFrom) / 1000).toFixed(1)}s ${event}`);
      };
      /** Where a failed run leaves what it knows: `$ARTIFACTS_DIR/chaos/` (created). */
      const diagnosisDir = (): string => {
        const dir = path.join(process.env.ARTIFACTS_DIR ?? path.join(SERVER_DIR, '..', 'artifacts'), 'chaos');
        mkdirSync(dir, { recursive: true });
        return dir;
      };
      /** On a failure: every pod's whole output, for the diagnosis (`$ARTIFACTS_DIR/chaos/`). */
      const dumpPods = (): void => {
        const dir = diagnosisDir();
        everyPod.forEach((p, n) => writeFileSync(path.join(dir, `pod-${n}-${p.podName}.log`), p.output()));
        writeFileSync(path.join(dir, 'events.txt'), `seed ${SEED}\n${events.join('\n')}\n`);
        console.log(`chaos: pods' output written to ${dir}`);
      };
      onTestFailed(() => dumpPods());
      /** What PostgreSQL's sessions are doing and waiting for (where a stuck pod's query waits). */
      const dumpDatabase = async (): Promise<void> => {
        const client = new pg.Client({ connectionString: pgUrl });
        try {
          await client.connect();
          const act = await client.query(
            `SELECT pid, application_name, state, wait_event_type, wait_event, backend_start, xact_start,
                    query_start, left(query, 120) AS query
               FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`
          );
          const locks = await client.query(
            `SELECT pid, locktype, relation::regclass::text AS rel, mode, granted FROM pg_locks WHERE NOT granted`
          );
          writeFileSync(
            path.join(diagnosisDir(), 'pg_stat_activity.json'),
            JSON.stringify({ activity: act.rows, waitingLocks: locks.rows }, null, 1)
          );
        } catch (e) {
          console.log(`chaos: could not read pg_stat_activity: ${String(e)}`);
        } finally {
          await client.end().catch(() => undefined);
        }
      };
      /** What an orchestrator does: start the pod again, and again while it fails to start (bounded). */
      const supervise = async (dead: PodProcess, i: number): Promise<PodProcess> => {
        // Like an orchestrator's restart backoff: a pod exits when its database is away at start (a
        // PostgreSQL restart in the schedule), so a few failed starts in a row are expected — bounded in
        // time, not in a count (3 attempts were used up by back-to-back PostgreSQL restarts in a local run).
        const giveUpAt = Date.now() + 45_000;
        for (let attempt = 1; ; attempt++) {
          try {
            // The pod's first log line took 24 s at load average 26 here (module loading starved of CPU):
            // the default 20 s start bound killed pods that were starting.
            const pod = await dead.restart({}, { startTimeoutMs: 60_000 });
            track(pod, i);
            return pod;
          } catch (err) {
            if (Date.now() >= giveUpAt) throw err;
            // The first line and the pod's last log lines: where its start waited.
            const lines = (err instanceof Error ? err.message : String(err)).split('\n').filter(Boolean);
            const tail = lines
              .slice(1)
              .slice(-3)
              .map((l) => /"msg":"([^"]*)"/.exec(l)?.[1] ?? l.slice(0, 120));
            note(`pod${i} start failed (${lines[0] ?? ''} last: ${tail.join(' | ') || '-'}); retrying`);
            await sleep(Math.min(500 * attempt, 2000));
          }
        }
      };
      const front = await Promise.all(
        [0, 1].map((i) => mkProxy((pods[i] as PodProcess).port, `clients↔pod${i}`))
      );
      const proxies = [...front, ...backProxies];

      // Writers (two per pod, through the proxies) append their own entries; every client records which
      // entries it received from others.
      const token = await mintToken({ org: 'acme', sub: 'chaos' });
      const writers: StockClient[] = [];
      const written: string[][] = [];
      /** Acknowledged entries → when a client other than their writer first received them (epoch ms). */
      const acked = new Map<string, number>();
      for (let w = 0; w < WRITERS; w++) {
        const c = connectClient(`ws://127.0.0.1:${(front[w % 2] as FaultProxy).port}`, ROOM, token, {
          reconnect: true,
        });
        // 4400-4499 are final for a stock client (e.g. 4412 when a stalled path backs its socket up): an
        // application reconnects; so do these.
        c.provider.on('closed', () => setTimeout(() => c.provider.connect(), 200));
        c.doc.getArray<string>('log').observe((ev) => {
          for (const item of ev.changes.added) {
            for (const v of item.content.getContent() as string[]) {
              if (!v.startsWith(`w${w}:`) && !acked.has(v)) acked.set(v, Date.now());
            }
          }
        });
        writers.push(c);
        written.push([]);
        cleanups.push(async () => c.destroy());
      }
      await Promise.all(writers.map((c) => c.synced));

      let writing = true;
      const writeLoops = writers.map(async (c, w) => {
        for (let n = 0; writing; n++) {
          const v = `w${w}:${n}`;
          c.doc.getArray<string>('log').push([v]);
          (written[w] as string[]).push(v);
          await sleep(WRITE_EVERY_MS);
        }
      });

      // The chaos: FAULTS random faults, one at a time, every 0.6-2 s.
      const restarts: Array<Promise<void>> = [];
      const chaosStart = Date.now();
      for (let f = 0; f < FAULTS; f++) {
        const [wait, r, a, b, c] = [random(), random(), random(), random(), random()] as const;
        await sleep(between(wait, 600, 2000));
        if (r < 0.15) {
          const i = pick(a, [0, 1]);
          const pod = pods[i];
          if (!pod) {
            note(`(kill pod${i}: still down)`);
            continue;
          }
          note(`kill pod${i}`);
          pods[i] = null;
          killedByUs.add(pod);
          pod.kill();
          const downMs = between(b, 300, 2000);
          const back = (async () => {
            await pod.exited;
            await sleep(downMs);
            const again = await supervise(pod, i);
            pods[i] = again;
            (front[i] as FaultProxy).retarget(again.port);
          })();
          // Reported where the test waits for every pod to be back, not as an unhandled rejection mid-chaos.
          back.catch(() => undefined);
          restarts.push(back);
        } else if (r < 0.22) {
          if (!redis.running) {
            note('(restart redis: still down)');
            continue;
          }
          note('restart redis');
          await redis.kill();
          restarts.push(sleep(between(b, 300, 2000)).then(() => redis.start()));
        } else if (r < 0.29) {
          if (!postgres.running) {
            note('(restart postgres: still down)');
            continue;
          }
          note('restart postgres');
          await postgres.kill();
          restarts.push(sleep(between(b, 300, 1500)).then(() => postgres.start()));
        } else if (r < 0.55) {
          const p = pick(a, proxies);
          const latencyMs = Math.round(between(b, 0, 150));
          const jitterMs = Math.round(between(c, 0, 100));
          note(`latency ${p.name} ${latencyMs}+${jitterMs} ms`);
          p.set({ latencyMs, jitterMs });
        } else if (r < 0.78) {
          const p = pick(a, proxies);
          const ms = Math.round(between(b, 200, 1500));
          note(`stall ${p.name} ${ms} ms`);
          p.stall(ms);
        } else {
          const p = pick(a, proxies);
          note(`reset ${p.name}`);
          p.reset();
        }
      }

      // The end: writers stop, half of them vanish (never re-send anything); then heal — no more network
      // faults, every server back — and everything must converge.
      writing = false;
      await Promise.all(writeLoops);
      const vanished = writers.splice(0, WRITERS / 2);
      for (const c of vanished) c.destroy();
      const ackedAtEnd = new Map(acked);
      console.log(
        `chaos events (${events.length} in ${Date.now() - chaosStart} ms, seed ${SEED}): ${events.join('; ')}`
      );
      for (const p of proxies) p.heal();
      // Every pod back (bounded: a pod that cannot start again fails the test here, saying so).
      let healTimer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all(restarts),
        new Promise((_, reject) => {
          healTimer = setTimeout(
            () =>
              reject(
                new Error(`pods not back within 60 s of the end of the chaos: ${events.slice(-5).join('; ')}`)
              ),
            60_000
          );
        }),
      ]).finally(() => clearTimeout(healTimer));
      if (!redis.running) await redis.start();
      if (!postgres.running) await postgres.start();
      console.log(
        `chaos proxies: ${proxies
          .map(
            (p) => `${p.name} ${p.stats.connections} conns/${p.stats.resets} resets/${p.stats.stalls} stalls`
          )
          .join(', ')}`
      );
      // The pods' own warnings, counted (where they waited and why: the diagnosis of a slow run).
      const warned = new Map<string, number>();
      for (const pod of everyPod) {
        for (const l of pod.logs()) {
          if (l.level !== 'warn' && l.level !== 'error' && l.level !== 'fatal') continue;
          const key = `${String(l.msg)}${l.status === undefined ? '' : ` (status ${String(l.status)})`}`;
          warned.set(key, (warned.get(key) ?? 0) + 1);
        }
      }
      console.log(`chaos pod warnings: ${[...warned].map(([m, n]) => `${n}× ${m}`).join('; ') || 'none'}`);
      expect(crashes).toEqual([]);
      // What the remaining writers wrote, plus every update acknowledged by the end of the chaos.
      const all = new Set([...written.slice(WRITERS / 2).flat(), ...ackedAtEnd.keys()]);
      const logOf = (c: StockClient): string[] => c.doc.getArray<string>('log').toArray();
      const hasAll = (c: StockClient): boolean => {
        const got = new Set(logOf(c));
        for (const v of all) if (!got.has(v)) return false;
        return true;
      };
      await waitFor(() => writers.every(hasAll), 60_000, 'writers converged after healing').catch(
        async (err: unknown) => {
          await dumpDatabase();
          // What each remaining writer misses, and the state of its connection: where convergence stopped.
          const detail = writers.map((c, k) => {
            const got = new Set(logOf(c));
            const missing = [...all].filter((v) => !got.has(v));
            return (
              `writer w${k + WRITERS / 2}: ${missing.length} missing (${missing.slice(0, 5).join(', ')}), ` +
              `wsconnected=${String(c.provider.wsconnected)} synced=${String(c.provider.synced)} ` +
              `closes=${c.closes.map((x) => x.code).join(',')}`
            );
          });
          const podWarn = everyPod.map((p) =>
            p
              .logs()
              .filter((l) => l.level !== 'info' && l.level !== 'debug')
              .slice(-5)
              .map((l) => String(l.msg))
              .join(' | ')
          );
          throw new Error(
            `${err instanceof Error ? err.message : String(err)}; ${detail.join('; ')}; pods' last warnings: ${podWarn.join(' || ')}`
          );
        }
      );
      const vanishedAcked = [...ackedAtEnd.keys()].filter((v) => /^w[01]:/.test(v)).length;
      console.log(
        `chaos: ${written.flat().length} updates written, ${ackedAtEnd.size} acknowledged (seen by another ` +
          `client) by the end of the chaos, ${vanishedAcked} of them by writers that then vanished`
      );
      expect(vanishedAcked).toBeGreaterThan(0);

      // Every pod: a fresh client (no state of its own) gets the same document. "Every update" is what
      // the test knows of; a vanished writer's last edits that reached a pod but no client before the end
      // of the chaos (never acknowledged) may still be on their way through the other pod, so the replicas
      // are compared once they have settled on one state vector — bounded, and saying who differs.
      const live = pods as PodProcess[];
      for (const pod of live) killedByUs.add(pod);
      const replicas: Array<{ name: string; doc: Y.Doc }> = writers.map((c, k) => ({
        name: `writer w${k + WRITERS / 2}`,
        doc: c.doc,
      }));
      for (const pod of live) {
        const fresh = connectClient(pod.wsUrl, ROOM, token);
        cleanups.push(async () => fresh.destroy());
        await fresh.synced;
        await waitFor(() => hasAll(fresh), 30_000, `pod ${pod.podName} has every update`);
        replicas.push({ name: `fresh client of ${pod.podName}`, doc: fresh.doc });
      }
      const stateOf = (doc: Y.Doc): string =>
        JSON.stringify([...Y.decodeStateVector(Y.encodeStateVector(doc))].sort());
      await waitFor(
        () => new Set(replicas.map((r) => stateOf(r.doc))).size === 1,
        30_000,
        'every replica on one state vector'
      ).catch((err: unknown) => {
        throw new Error(
          `${err instanceof Error ? err.message : String(err)}: ${replicas.map((r) => `${r.name} ${stateOf(r.doc)}`).join('; ')}`
        );
      });

      // 0 acknowledged updates lost: kill every pod and the writers, start a new pod on the same
      // database: what it loads from PostgreSQL holds every acknowledged update.
      for (const c of writers) c.destroy();
      for (const pod of live) pod.kill();
      await Promise.all(live.map((p) => p.exited));
      const cold = await startPod({
        env: { ...envOf(0), COLLAB_PG_URL: pgUrl, COLLAB_REDIS_URL: redis.url },
        startTimeoutMs: 60_000,
      });
      track(cold, 0);
      killedByUs.add(cold);
      const reader = connectClient(cold.wsUrl, ROOM, await mintToken({ org: 'acme', sub: 'reader' }));
      cleanups.push(async () => reader.destroy());
      await reader.synced;
      const stored = new Set(logOf(reader));
      const lost = [...ackedAtEnd.keys()].filter((v) => !stored.has(v));
      expect(lost).toEqual([]);
      // The remaining writers' edits reached storage too (they re-sent what was not durable yet).
      expect([...all].filter((v) => !stored.has(v))).toEqual([]);

      // Durable when acknowledged: the log itself (not a snapshot, not what clients re-sent later) held
      // every acknowledged entry by the time a client first received it.
      const log = await storedEntries(pgUrl, ROOM);
      const late = [...ackedAtEnd]
        .filter(([v, at]) => !((log.get(v) ?? Infinity) <= at))
        .map(([v, at]) => {
          const ts = log.get(v);
          return ts === undefined
            ? `${v} (not in the log)`
            : `${v} (stored ${ts - at} ms after it was received)`;
        });
      console.log(
        `chaos: ${log.size} entries in the ops log; ${ackedAtEnd.size - late.length} of ${ackedAtEnd.size} ` +
          `acknowledged entries were in it when first received`
      );
      expect(late, 'acknowledged before they were durable in the ops log').toEqual([]);
    }, 180_000);
  }
);
