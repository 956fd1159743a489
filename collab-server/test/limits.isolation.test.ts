/**
 * Issue 16 item 1: one authenticated client must not freeze the pod. The attack: thousands of
 * small, valid updates, each from a new client id inserting at the same position, sent at full
 * force from one connection; Yjs's conflict resolution makes applying them quadratic (8,000 frames
 * used to stall the pod for over 30 s).
 *
 * While it runs, a sync round trip (a stock client's update until a second client has it) in
 * another org's room is measured against a baseline taken in the same test on the quiet pod (see
 * `p99Bound`). The attacker runs in its own process (`helpers/attacker.ts`). The attacker is closed with UPDATE_BUDGET_EXCEEDED
 * (4429): by the cap on client ids new to the room (default), or, with that cap lifted, by its CPU
 * budget after being throttled. Legitimate clients keep working: a reconnect with offline edits
 * under several client ids, and a busy room of 50 editors, are not throttled.
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { CloseCode } from '@collabblocks/protocol';
import { describeAttack, pingUnderAttack, quantile, type AttackResult } from './helpers/attacks.js';
import { connectClient, sleep, waitFor, type StockClient } from './helpers/clients.js';
import { mintToken } from './helpers/jwt.js';
import { startPod, type PodProcess } from './helpers/pod.js';

const ATTACK_FRAMES = 8000;
const PING_EVERY_MS = 20;
const PING_TIMEOUT_MS = 2000;
/**
 * Bound on the ping's p99 under attack: the target is 50 ms on top of a quiet pod. CI runs
 * on a loaded 2-core machine where the OS alone delays a process by tens of ms, so the bound is
 * relative to the same test's baseline: 2 × its p99 + 50 ms (on the code before the budgets, pings
 * under this attack wait for seconds).
 */
function p99Bound(baseline: number[]): number {
  return 2 * quantile(baseline, 0.99) + 50;
}
/** Bound on the attack phase of one test. */
const ATTACK_WINDOW_MS = 20_000;

/** Text `t` of a copy of `doc` (read through a fresh doc: the provider's doc may hold types of another Yjs build). */
function textOf(doc: Y.Doc): string {
  const copy = new Y.Doc();
  Y.applyUpdate(copy, Y.encodeStateAsUpdate(doc));
  const s = copy.getText('t').toString();
  copy.destroy();
  return s;
}

let pods: PodProcess[] = [];
afterEach(async () => {
  await Promise.all(pods.map((p) => p.cleanup()));
  pods = [];
});

async function pod(env: Record<string, string>): Promise<PodProcess> {
  const p = await startPod({ env });
  pods.push(p);
  return p;
}

async function attackWhilePinging(p: PodProcess): Promise<AttackResult> {
  return pingUnderAttack(p, {
    frames: ATTACK_FRAMES,
    pingEveryMs: PING_EVERY_MS,
    pingTimeoutMs: PING_TIMEOUT_MS,
    windowMs: ATTACK_WINDOW_MS,
  });
}

describe('one connection cannot stall other rooms', () => {
  it('quadratic client-id attack, default limits: closed 4429 by the new-client-id cap; other org p99 within 50 ms of baseline', async () => {
    const p = await pod({});
    const r = await attackWhilePinging(p);
    const msg = describeAttack(r);
    expect(r.closeCode, msg).toBe(CloseCode.UPDATE_BUDGET_EXCEEDED);
    expect(r.underAttack.length, msg).toBeGreaterThan(0);
    expect(quantile(r.underAttack, 0.99), msg).toBeLessThanOrEqual(p99Bound(r.baseline));
  }, 90_000);

  it('same attack with the client-id cap lifted: throttled by its CPU budget, then closed 4429; other org p99 within 50 ms of baseline', async () => {
    const p = await pod({ COLLAB_MAX_NEW_CLIENT_IDS: '1000000', COLLAB_CONN_THROTTLE_CLOSE_MS: '4000' });
    const r = await attackWhilePinging(p);
    const msg = describeAttack(r);
    expect(r.closeCode, msg).toBe(CloseCode.UPDATE_BUDGET_EXCEEDED);
    // It ran long enough to be throttled (not refused outright), and pings were measured throughout.
    expect(r.attackMs, msg).toBeGreaterThan(2000);
    expect(r.underAttack.length, msg).toBeGreaterThan(20);
    expect(quantile(r.underAttack, 0.99), msg).toBeLessThanOrEqual(p99Bound(r.baseline));
  }, 90_000);

  it('legitimate clients are not limited: offline edits under several client ids, and a busy room of 50 editors', async () => {
    const p = await pod({});
    const token = await mintToken({ org: 'acme', sub: 'editor' });
    // A document edited offline in 20 sessions (20 client ids), then connected: its first sync step 2
    // carries all of them.
    const offline = new Y.Doc();
    for (let s = 0; s < 20; s++) {
      const session = new Y.Doc();
      session.clientID = 500_000 + s;
      Y.applyUpdate(session, Y.encodeStateAsUpdate(offline));
      session.getText('t').insert(0, `s${s} `);
      Y.applyUpdate(offline, Y.encodeStateAsUpdate(session));
      session.destroy();
    }
    const returning = connectClient(p.wsUrl, 'acme/offline', token, { doc: offline });
    const other = connectClient(p.wsUrl, 'acme/offline', token);
    await Promise.all([returning.synced, other.synced]);
    await waitFor(
      () => textOf(other.doc) === offline.getText('t').toString(),
      10_000,
      'offline edits arrive'
    );
    expect(returning.closes).toEqual([]);
    returning.destroy();
    other.destroy();

    // 50 editors in one room, each typing 5 updates/s for 4 s: every update is accepted (a client
    // joining afterwards gets all of them), nobody is closed, no budget acted.
    const editors: StockClient[] = [];
    for (let i = 0; i < 50; i++) editors.push(connectClient(p.wsUrl, 'acme/busy', token));
    await Promise.all(editors.map((e) => e.synced));
    let typed = 0;
    const end = performance.now() + 4000;
    while (performance.now() < end) {
      for (const [i, e] of editors.entries()) e.doc.getText('t').insert(0, String(i % 10));
      typed += editors.length;
      await sleep(200);
    }
    await waitFor(
      async () => {
        const again = connectClient(p.wsUrl, 'acme/busy', token);
        await again.synced;
        const n = textOf(again.doc).length;
        again.destroy();
        return n === typed;
      },
      20_000,
      `all ${typed} updates of the busy room accepted`
    );
    expect(editors.flatMap((e) => e.closes)).toEqual([]);
    const metrics = await (await fetch(`${p.httpUrl}/metrics`)).text();
    expect(metrics).not.toMatch(/collab_limit_events_total\{[^}]*limit="(conn-cpu|room-cpu|new-client-ids)"/);
    for (const e of editors) e.destroy();
  }, 90_000);
});
