/** Pure parts of the simulator: room plan, motion, status, tokens, trace frames, config. */
import { YMessageType } from '@collabblocks/protocol';
import { jwtVerify } from 'jose';
import * as decoding from 'lib0/decoding';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { parseCli, parseDuration } from '../src/sim/config.js';
import { applyEdit, summarizeDoc, type EditKind } from '../src/sim/content.js';
import { CursorMotion, StatusModel, roomHotspots } from '../src/sim/presence.js';
import { createRng, distribute, zipfWeights } from '../src/sim/random.js';
import { planRooms } from '../src/sim/simulator.js';
import { TokenMinter } from '../src/sim/tokens.js';
import { encodeTraceContext, newTraceContext } from '../src/sim/trace.js';

describe('room plan', () => {
  it('is skewed (Zipf-like), covers every room and is reproducible', () => {
    const cfg = { rooms: 20, clients: 200, orgs: 3, seed: 42, skew: 1.1 };
    const plan = planRooms(cfg);
    expect(plan).toHaveLength(20);
    expect(plan.reduce((n, r) => n + r.bots, 0)).toBe(200);
    expect(plan.every((r) => r.bots >= 1)).toBe(true);
    const sorted = plan.map((r) => r.bots).sort((a, b) => b - a);
    expect(sorted[0]).toBeGreaterThan(4 * (sorted[10] ?? 0));
    expect(new Set(plan.map((r) => r.org))).toEqual(new Set(['acme', 'globex', 'initech']));
    expect(new Set(plan.map((r) => r.id)).size).toBe(20);
    for (const r of plan) expect(r.id).toMatch(/^[a-z0-9-]+\/[a-z0-9-]+$/);
    expect(planRooms(cfg)).toEqual(plan);
    expect(planRooms({ ...cfg, seed: 43 })).not.toEqual(plan);
  });

  it('distributes exactly, even with fewer clients than rooms', () => {
    expect(distribute(3, zipfWeights(5)).reduce((a, b) => a + b, 0)).toBe(3);
    expect(distribute(0, zipfWeights(5))).toEqual([0, 0, 0, 0, 0]);
  });
});

describe('presence', () => {
  it('cursors stay in [0,1], move smoothly and gather around the room hotspots', () => {
    const hotspots = roomHotspots('acme/roadmap-2026');
    expect(hotspots.length).toBeGreaterThanOrEqual(2);
    const m = new CursorMotion('acme/roadmap-2026', createRng(1));
    let prev = m.position;
    let near = 0;
    for (let i = 0; i < 2000; i++) {
      const p = m.step(250);
      expect(p.x).toBeGreaterThanOrEqual(0);
      expect(p.x).toBeLessThanOrEqual(1);
      expect(p.y).toBeGreaterThanOrEqual(0);
      expect(p.y).toBeLessThanOrEqual(1);
      expect(Math.hypot(p.x - prev.x, p.y - prev.y)).toBeLessThan(0.5);
      prev = p;
      if (hotspots.some((h) => Math.hypot(h.x - p.x, h.y - p.y) < 0.15)) near++;
    }
    expect(near / 2000).toBeGreaterThan(0.8);
  });

  it('status goes editing → idle → (sometimes) away → back', () => {
    const s = new StatusModel(createRng(3), { idleAfterMs: 1000, awayChancePerSec: 0.5, awayMeanMs: 2000 });
    let t = 0;
    s.noteEdit(t);
    expect(s.current).toBe('editing');
    const seen = new Set<string>();
    for (let i = 0; i < 400; i++) {
      t += 100;
      s.step(t, 100);
      seen.add(s.current);
    }
    expect(seen).toEqual(new Set(['editing', 'idle', 'away']));
  });
});

describe('content', () => {
  it('keeps documents bounded over many edits', () => {
    const doc = new Y.Doc();
    const rng = createRng(5);
    const author = { name: 'Bot Ada', caret: 0 };
    const limits = { maxTextChars: 500, maxTasks: 10, maxXmlNodes: 5 };
    const kinds: EditKind[] = ['text', 'map', 'array', 'xml'];
    for (let i = 0; i < 20_000; i++) applyEdit(doc, kinds[i % 4] as EditKind, rng, author, limits);
    const s = summarizeDoc(doc);
    expect(s.textChars).toBeLessThanOrEqual(500);
    expect(s.tasks).toBeLessThanOrEqual(10);
    expect(s.xmlNodes).toBeLessThanOrEqual(5);
    expect(s.metaKeys).toBeGreaterThan(2);
    // What cannot be trimmed is CRDT metadata of deleted content: a few bytes per
    // edit (room rotation bounds it over hours, see simulator.ts).
    expect(Y.encodeStateAsUpdate(doc).byteLength / 20_000).toBeLessThan(20);
  });
});

describe('tokens', () => {
  it('mints HS256 tokens the pod can verify, with sub/org/name/exp', async () => {
    const secret = 'a-test-secret-that-is-long-enough-0123456789';
    const minter = new TokenMinter({ secret, ttlSeconds: 120, audience: 'collab' });
    const t = await minter.mint({ sub: 'sim-bot-1', org: 'acme', name: 'Bot Ada' });
    const { payload, protectedHeader } = await jwtVerify(t.token, new TextEncoder().encode(secret), {
      audience: 'collab',
    });
    expect(protectedHeader.alg).toBe('HS256');
    expect(payload).toMatchObject({ sub: 'sim-bot-1', org: 'acme', name: 'Bot Ada' });
    expect((payload.exp ?? 0) * 1000).toBe(t.expiresAt);
    expect(minter.needsRefresh(t, 60_000)).toBe(false);
    expect(minter.needsRefresh(t, 121_000)).toBe(true);
    expect(() => new TokenMinter({ secret: '' })).toThrow(/COLLAB_JWT_SECRET/);
  });
});

describe('trace context frame', () => {
  it('encodes varuint 120, traceparent, tracestate', () => {
    const ctx = newTraceContext();
    expect(ctx.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    const d = decoding.createDecoder(encodeTraceContext(ctx));
    expect(decoding.readVarUint(d)).toBe(YMessageType.TRACE_CONTEXT);
    expect(decoding.readVarString(d)).toBe(ctx.traceparent);
    expect(decoding.readVarString(d)).toBe('sim=1');
    expect(decoding.hasContent(d)).toBe(false);
  });
});

describe('config', () => {
  it('reads flags and env, flags first', () => {
    const r = parseCli(['--rooms', '5', '--url', 'ws://a:1,ws://b:2/', '--trace', '--duration', '2m'], {
      SIM_ROOMS: '9',
      SIM_CLIENTS: '30',
      COLLAB_JWT_SECRET: 's'.repeat(32),
    });
    if (r.help) throw new Error('unexpected help');
    expect(r.config.rooms).toBe(5);
    expect(r.config.clients).toBe(30);
    expect(r.config.urls).toEqual(['ws://a:1', 'ws://b:2']);
    expect(r.config.traceRatio).toBe(0.1);
    expect(r.config.durationMs).toBe(120_000);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(() => parseDuration('soon')).toThrow(/invalid duration/);
    expect(() => parseCli(['--orgs', '9', '--rooms', '3', '--no-auth'], {})).toThrow(/cannot exceed/);
    expect(() => parseCli(['--bogus'], {})).toThrow();
  });
});
