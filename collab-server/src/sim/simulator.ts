/**
 * Orchestrates a run: lays rooms out over orgs, spreads bots over rooms with
 * a Zipf-like skew (a few busy rooms, many quiet ones) and over pod URLs,
 * schedules edits as a Poisson process at the total `rate` (in bursts per
 * bot), moves presence, churns bots (leave, rejoin later) and reports progress.
 */
import { Bot, type BotIdentity } from './bot.js';
import { PROFILES, profileOfRoom, type ProfileName } from './profiles/index.js';
import { DEFAULT_LIMITS, type EditLimits } from './content.js';
import { botColor, botName, orgSlugs, roomSlugs } from './names.js';
import { createRng, distribute, zipfWeights, type Rng } from './random.js';
import { SimStats, type StatsSnapshot } from './stats.js';
import { TokenMinter } from './tokens.js';
import { errorMessage } from '@collabblocks/protocol';

export interface SimConfig {
  urls: string[];
  rooms: number;
  clients: number;
  /** Total edits per second across all bots. */
  rate: number;
  orgs: number;
  /** Null: run until aborted. */
  durationMs: number | null;
  seed: number;
  /** Fraction of updates preceded by a TRACE_CONTEXT frame (0 = off). */
  traceRatio: number;
  /** Null: connect without tokens. */
  secret: string | null;
  tokenTtlSeconds: number;
  audience?: string;
  issuer?: string;
  progressIntervalMs: number;
  presenceIntervalMs: number;
  /** Fraction of online bots that leave per minute (they rejoin after a pause). */
  churnPerMinute: number;
  /** Zipf exponent of the room popularity. */
  skew: number;
  /**
   * Edits after which a room's bots move on to a fresh document generation
   * (`<room>-v2`, ...), which bounds memory in the bots and in the pod over
   * hours (CRDT metadata of deleted content never shrinks). 0 = never.
   */
  roomOpsLimit: number;
  limits?: EditLimits;
  /**
   * Document / awareness conventions rooms are given (by a stable hash of the room id). Default here
   * `['sim']` (the programmatic API keeps the simulator's own conventions); the CLI defaults to all (`mix`).
   */
  profiles?: readonly ProfileName[];
}

export interface RoomPlan {
  id: string;
  org: string;
  bots: number;
}

/** Which rooms exist and how many bots each gets (deterministic in the config). */
export function planRooms(cfg: Pick<SimConfig, 'rooms' | 'clients' | 'orgs' | 'seed' | 'skew'>): RoomPlan[] {
  const orgs = orgSlugs(cfg.orgs);
  const perOrg = new Map<string, number>();
  const ids: Array<{ id: string; org: string }> = [];
  for (let i = 0; i < cfg.rooms; i++) {
    const org = orgs[i % orgs.length] as string;
    const k = perOrg.get(org) ?? 0;
    perOrg.set(org, k + 1);
    ids.push({ id: `${org}/${roomSlugs(k + 1)[k] as string}`, org });
  }
  // Shuffle which room gets which popularity rank, reproducibly.
  const rng = createRng(cfg.seed).fork('rooms');
  for (let i = ids.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [ids[i], ids[j]] = [ids[j] as { id: string; org: string }, ids[i] as { id: string; org: string }];
  }
  const counts = distribute(cfg.clients, zipfWeights(ids.length, cfg.skew));
  return ids.map((r, i) => ({ ...r, bots: counts[i] ?? 0 }));
}

export interface RunOptions {
  signal?: AbortSignal;
  log?: (line: string) => void;
  /** Called once edits have stopped and before the bots leave (tests check convergence here). */
  beforeStop?: (bots: readonly Bot[]) => Promise<void>;
}

export interface SimResult {
  stats: StatsSnapshot;
  rooms: RoomPlan[];
}

export async function runSimulation(cfg: SimConfig, opts: RunOptions = {}): Promise<SimResult> {
  const log = opts.log ?? ((line: string) => console.log(line));
  const rng = createRng(cfg.seed);
  const stats = new SimStats();
  const minter = cfg.secret
    ? new TokenMinter({
        secret: cfg.secret,
        ttlSeconds: cfg.tokenTtlSeconds,
        audience: cfg.audience,
        issuer: cfg.issuer,
      })
    : undefined;
  const rooms = planRooms(cfg);
  const bots: Bot[] = [];
  /** Per current room id: edits so far; per base room: generation. */
  const roomOps = new Map<string, number>();
  const generation = new Map<string, number>();
  const rejoinTimers = new Set<NodeJS.Timeout>();
  let stopping = false;

  const scheduleRejoin = (bot: Bot, delayMs: number, countAsRejoin = true): void => {
    const t = setTimeout(() => {
      rejoinTimers.delete(t);
      if (stopping) return;
      if (countAsRejoin) stats.rejoins++;
      bot.join().catch((err: unknown) => log(`[sim] rejoin failed: ${errorMessage(err)}`));
    }, delayMs);
    rejoinTimers.add(t);
  };

  let index = 0;
  for (const room of rooms) {
    for (let k = 0; k < room.bots; k++, index++) {
      const identity: BotIdentity = {
        index,
        sub: `sim-bot-${index}`,
        name: botName(index),
        color: botColor(index),
        org: room.org,
        roomId: room.id,
      };
      bots.push(
        new Bot({
          identity,
          url: cfg.urls[index % cfg.urls.length] as string,
          rng: rng.fork(`bot:${index}`),
          stats,
          minter,
          traceRatio: cfg.traceRatio,
          limits: cfg.limits ?? DEFAULT_LIMITS,
          profile: PROFILES[profileOfRoom(room.id, cfg.profiles ?? ['sim'])],
          onTerminalClose: (bot, code) => {
            log(`[sim] ${bot.identity.roomId}: server closed for good (${code}); rejoining in 30 s`);
            bot.leave();
            scheduleRejoin(bot, 30_000);
          },
        })
      );
    }
  }
  // Each provider registers a process 'exit' listener.
  process.setMaxListeners(Math.max(process.getMaxListeners(), bots.length + 20));

  const busy = rooms.filter((r) => r.bots > 0).length;
  log(
    `[sim] ${bots.length} bots in ${busy}/${rooms.length} rooms over ${cfg.orgs} orgs, ` +
      `${cfg.rate} ops/s, ${cfg.urls.length} pod url(s), seed ${cfg.seed}` +
      (cfg.traceRatio > 0 ? `, trace context on ${Math.round(cfg.traceRatio * 100)} % of updates` : '')
  );

  // Stagger the joins a little so a restart does not look like a thundering herd.
  const joinSpacingMs = Math.min(20, 2000 / Math.max(1, bots.length));
  for (const bot of bots) {
    if (opts.signal?.aborted) break;
    try {
      await bot.join();
    } catch (err) {
      // e.g. token minting failed: report it, keep the other bots going, retry later.
      log(`[sim] join failed: ${errorMessage(err)}; retrying in 10 s`);
      scheduleRejoin(bot, 10_000, false);
    }
    await sleep(joinSpacingMs);
  }

  const timers: NodeJS.Timeout[] = [];
  // Edits: Poisson arrivals at `rate`, carried out in per-bot bursts.
  const meanGapMs = cfg.rate > 0 ? 1000 / cfg.rate : Infinity;
  let nextArrival = Date.now() + rng.exp(meanGapMs);
  let burst: { bot: Bot; left: number } | null = null;
  const pickEditor = (r: Rng): Bot | null => {
    for (let tries = 0; tries < 20; tries++) {
      const b = bots[r.int(bots.length)];
      if (b?.canEdit) return b;
    }
    return bots.find((b) => b.canEdit) ?? null;
  };
  if (cfg.rate > 0) {
    timers.push(
      setInterval(() => {
        const now = Date.now();
        if (now - nextArrival > 1000) nextArrival = now; // stalled: do not catch up a storm
        while (nextArrival <= now) {
          nextArrival += rng.exp(meanGapMs);
          if (!burst || burst.left <= 0 || !burst.bot.canEdit) {
            const bot = pickEditor(rng);
            burst = bot ? { bot, left: 1 + Math.round(rng.exp(6)) } : null;
          }
          if (!burst) continue;
          burst.left--;
          if (burst.bot.edit(true)) {
            const roomId = burst.bot.identity.roomId;
            const n = (roomOps.get(roomId) ?? 0) + 1;
            roomOps.set(roomId, n);
            if (cfg.roomOpsLimit > 0 && n >= cfg.roomOpsLimit) rotateRoom(roomId);
          }
        }
      }, 10)
    );
  }

  // A room that had enough edits moves on to a fresh document (bounded memory over hours).
  function rotateRoom(roomId: string): void {
    const base = roomId.replace(/-v\d+$/, '');
    const gen = (generation.get(base) ?? 1) + 1;
    generation.set(base, gen);
    const next = `${base}-v${gen}`;
    roomOps.delete(roomId);
    stats.roomRotations++;
    log(`[sim] ${roomId} reached ${cfg.roomOpsLimit} edits; its bots move to ${next}`);
    burst = null;
    for (const bot of bots) {
      if (bot.identity.roomId !== roomId) continue;
      const wasActive = bot.state === 'online' || bot.state === 'joining';
      bot.moveTo(next);
      if (wasActive) scheduleRejoin(bot, 200 + rng.int(2000), false);
    }
  }

  // Presence.
  let lastPresence = Date.now();
  timers.push(
    setInterval(() => {
      const now = Date.now();
      const dt = now - lastPresence;
      lastPresence = now;
      for (const bot of bots) bot.tickPresence(now, dt);
    }, cfg.presenceIntervalMs)
  );

  // Churn: some bots leave and come back.
  if (cfg.churnPerMinute > 0) {
    timers.push(
      setInterval(() => {
        const p = cfg.churnPerMinute / 60;
        for (const bot of bots) {
          if (bot.state === 'online' && rng.chance(p)) {
            bot.leave();
            stats.leaves++;
            scheduleRejoin(bot, 2000 + rng.exp(8000));
          }
        }
      }, 1000)
    );
  }

  const connectedCount = (): number => bots.reduce((n, b) => n + (b.connected ? 1 : 0), 0);
  timers.push(
    setInterval(() => log(stats.progressLine(bots.length, connectedCount())), cfg.progressIntervalMs)
  );

  await new Promise<void>((resolve) => {
    const done = (): void => resolve();
    if (cfg.durationMs !== null) timers.push(setTimeout(done, cfg.durationMs));
    if (opts.signal) {
      if (opts.signal.aborted) done();
      else opts.signal.addEventListener('abort', done, { once: true });
    }
  });

  stopping = true;
  for (const t of timers) clearInterval(t);
  for (const t of rejoinTimers) clearTimeout(t);
  const snapshot = stats.snapshot(bots.length, connectedCount());
  try {
    if (opts.beforeStop) await opts.beforeStop(bots);
  } finally {
    for (const bot of bots) bot.leave();
    // Let the close frames (and awareness removals) go out.
    await sleep(200);
  }
  return { stats: snapshot, rooms };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
