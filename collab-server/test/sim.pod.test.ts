/**
 * The simulator against a REAL pod process (HS256 auth with tokens the
 * simulator mints, sqlite storage, TRACE_CONTEXT frames on 20 % of updates):
 * content and presence reach an independent observer, every bot converges,
 * no connection is refused, and a pod restart is survived (bots reconnect).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSimulation } from '../src/sim/simulator.js';
import { TEST_JWT_SECRET } from './helpers/jwt.js';
import { startPod, type PodProcess } from './helpers/pod.js';
import { runScenario, type ScenarioResult } from './sim.scenario.js';

describe('simulator against a real pod', () => {
  let pod: PodProcess;
  let run: ScenarioResult;

  beforeAll(async () => {
    pod = await startPod();
    run = await runScenario(pod.wsUrl, TEST_JWT_SECRET);
  }, 90_000);

  afterAll(async () => {
    run?.observer.close();
    await pod?.cleanup();
  });

  it('bots authenticate and edit; nothing is refused', () => {
    const s = run.result.stats;
    expect(s.opsSent).toBeGreaterThan(200);
    expect(s.traceContextsSent).toBeGreaterThan(0);
    expect(s.connects).toBeGreaterThanOrEqual(18);
    expect(s.connectionErrors).toBe(0);
    // No 44xx close (auth, org, rate limit...) reached any bot.
    expect(Object.keys(s.closesByCode).filter((c) => c.startsWith('44'))).toEqual([]);
  });

  it('the observer sees content in several rooms and converged documents', () => {
    expect(run.rooms.filter((r) => r.textChars > 0).length).toBeGreaterThanOrEqual(4);
    expect(run.rooms.some((r) => r.tasks > 0 || r.metaKeys > 0)).toBe(true);
    expect(run.comparedBots).toBeGreaterThanOrEqual(12);
    expect(run.convergedRooms, run.mismatches.join('\n')).toBe(run.rooms.length);
  });

  it('presence states have cursors in [0,1] and statuses', () => {
    const p = run.observer.presence;
    expect(p.length).toBeGreaterThan(50);
    for (const s of p) {
      expect(s.x).toBeGreaterThanOrEqual(0);
      expect(s.x).toBeLessThanOrEqual(1);
      expect(s.y).toBeGreaterThanOrEqual(0);
      expect(s.y).toBeLessThanOrEqual(1);
      expect(['editing', 'idle', 'away']).toContain(s.status);
      expect(s.name).toMatch(/^Bot /);
    }
    expect(new Set(p.map((s) => s.status)).has('editing')).toBe(true);
  });

  it('bots reconnect after the pod restarts (same port) and keep editing', async () => {
    const logs: string[] = [];
    let connectedAtEnd = -1;
    const controller = new AbortController();
    const running = runSimulation(
      {
        urls: [pod.wsUrl],
        rooms: 3,
        clients: 6,
        rate: 30,
        orgs: 3,
        durationMs: null,
        seed: 11,
        traceRatio: 0,
        secret: TEST_JWT_SECRET,
        tokenTtlSeconds: 600,
        progressIntervalMs: 250,
        presenceIntervalMs: 500,
        churnPerMinute: 0,
        skew: 1,
        roomOpsLimit: 0,
      },
      {
        signal: controller.signal,
        log: (l) => logs.push(l),
        beforeStop: async (bots) => {
          connectedAtEnd = bots.filter((b) => b.connected && b.synced).length;
        },
      }
    );
    const opsInLog = (): number => {
      const last = [...logs].reverse().find((l) => l.includes('connected | ops'));
      return Number(/ops (\d+)/.exec(last ?? '')?.[1] ?? 0);
    };
    try {
      await new Promise((r) => setTimeout(r, 2500));
      const port = pod.port;
      await pod.stop();
      const opsBeforeRestart = opsInLog();
      expect(opsBeforeRestart).toBeGreaterThan(10);
      const restartedAt = logs.length;
      pod = await pod.restart({ PORT: String(port) });
      // Backoff is capped at 5 s; give the bots time to come back and edit (generous: CI machines are busy).
      const deadline = Date.now() + 30_000;
      while (
        Date.now() < deadline &&
        !logs
          .slice(restartedAt)
          .some((l) => /bots 6\/6 connected/.test(l) && opsInLog() > opsBeforeRestart + 20)
      ) {
        await new Promise((r) => setTimeout(r, 250));
      }
    } finally {
      controller.abort();
    }
    const r = await running;
    expect(connectedAtEnd).toBe(6);
    expect(r.stats.reconnects).toBeGreaterThanOrEqual(6);
    // The pod going away was seen as closes (1001 going away / 1006), never as auth errors.
    const codes = Object.keys(r.stats.closesByCode);
    expect(codes.length).toBeGreaterThan(0);
    expect(codes.filter((c) => c.startsWith('44'))).toEqual([]);
  }, 90_000);
});
