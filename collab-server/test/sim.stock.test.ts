/**
 * The simulator against the stock `@y/websocket-server` (a real process on a
 * free port; it ignores tokens): bots edit, an observer sees content and
 * presence in several rooms, everyone converges, the summary is complete.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStockServer, type RunningServer } from '../bench/servers.js';
import { runSimulation } from '../src/sim/simulator.js';
import { formatSummary } from '../src/sim/stats.js';
import { runScenario, type ScenarioResult } from './sim.scenario.js';

describe('simulator against the stock y-websocket server', () => {
  let server: RunningServer;
  let run: ScenarioResult;

  beforeAll(async () => {
    server = await startStockServer();
    run = await runScenario(server.url, null);
  }, 60_000);

  afterAll(async () => {
    run?.observer.close();
    await server?.stop();
  });

  it('sends edits at about the configured rate, of every kind', () => {
    const s = run.result.stats;
    // 80 ops/s for 5 s; allow for scheduling slack and away bots.
    expect(s.opsSent).toBeGreaterThan(200);
    expect(s.opsByKind.text).toBeGreaterThan(0);
    expect(s.opsByKind.map + s.opsByKind.array).toBeGreaterThan(0);
    expect(s.connects).toBeGreaterThanOrEqual(18);
    expect(s.connectionErrors).toBe(0);
  });

  it('the observer sees content in several rooms, busy rooms more', () => {
    const withText = run.rooms.filter((r) => r.textChars > 0);
    expect(withText.length).toBeGreaterThanOrEqual(4);
    expect(run.rooms.some((r) => r.tasks > 0 || r.metaKeys > 0)).toBe(true);
    const busiest = [...run.rooms].sort((a, b) => b.bots - a.bots)[0];
    const quietest = [...run.rooms].sort((a, b) => a.bots - b.bots)[0];
    expect(busiest && quietest && busiest.bots > quietest.bots).toBe(true);
  });

  it('every connected bot converged to the observer document', () => {
    expect(run.comparedBots).toBeGreaterThanOrEqual(12);
    expect(run.convergedRooms, run.mismatches.join('\n')).toBe(run.rooms.length);
  });

  it('presence carries bot names, colours, cursors in [0,1] and statuses', () => {
    const p = run.observer.presence;
    expect(p.length).toBeGreaterThan(50);
    for (const s of p) {
      expect(s.name).toMatch(/^Bot [A-Z][a-z]+/);
      expect(s.color).toMatch(/^#[0-9A-F]{6}$/);
      expect(s.x).toBeGreaterThanOrEqual(0);
      expect(s.x).toBeLessThanOrEqual(1);
      expect(s.y).toBeGreaterThanOrEqual(0);
      expect(s.y).toBeLessThanOrEqual(1);
      expect(['editing', 'idle', 'away']).toContain(s.status);
    }
    const statuses = new Set(p.map((s) => s.status));
    expect(statuses.has('editing')).toBe(true);
    expect(statuses.has('idle')).toBe(true);
    // Cursors move: many distinct positions.
    expect(new Set(p.map((s) => `${s.x},${s.y}`)).size).toBeGreaterThan(20);
  });

  it('progress lines and a per-org summary', () => {
    expect(
      run.logs.some((l) =>
        /bots \d+\/18 connected \| ops \d+ \([\d.]+\/s\) \| reconnects \d+ \| errors \d+/.test(l)
      )
    ).toBe(true);
    const summary = formatSummary(run.result.stats);
    expect(summary).toContain('=== simulation summary ===');
    for (const org of ['acme', 'globex', 'initech'])
      expect(summary).toMatch(new RegExp(`\\n  ${org}\\s+\\d+`));
  });

  it('rotates a busy room to a fresh document generation and the bots follow', async () => {
    const logs: string[] = [];
    let movedConnected = 0;
    const r = await runSimulation(
      {
        urls: [server.url],
        rooms: 2,
        clients: 6,
        rate: 60,
        orgs: 1,
        durationMs: 3000,
        seed: 3,
        traceRatio: 0,
        secret: null,
        tokenTtlSeconds: 600,
        progressIntervalMs: 1000,
        presenceIntervalMs: 500,
        churnPerMinute: 0,
        skew: 1,
        roomOpsLimit: 40,
      },
      {
        log: (l) => logs.push(l),
        beforeStop: async (bots) => {
          // Rejoins are spread over ~2 s; poll (bounded) rather than sleep a fixed time, so a busy machine
          // only makes this slower, not wrong.
          const deadline = Date.now() + 15_000;
          do {
            await new Promise((res) => setTimeout(res, 250));
            movedConnected = bots.filter((b) => /-v\d+$/.test(b.identity.roomId) && b.connected).length;
          } while (movedConnected === 0 && Date.now() < deadline);
        },
      }
    );
    expect(r.stats.roomRotations).toBeGreaterThanOrEqual(1);
    expect(logs.some((l) => /reached 40 edits; its bots move to acme\/[a-z0-9-]+-v2/.test(l))).toBe(true);
    expect(movedConnected).toBeGreaterThan(0);
    expect(formatSummary(r.stats)).toMatch(/room rotations\s+[1-9]/);
  }, 45_000);
});
