/**
 * The harness's Grafana Live plugin-channel side (LiveHub) behaves as Grafana's does — pkg/services/live/
 * features/plugin.go (SubscribeStream's data is the subscriber's first message) and runstream/manager.go (a
 * RunStream that fails is run again while the channel has viewers: at once after a run of ≥ 100 ms, else
 * after 100 ms × 2^n for the n-th fast failure in a row, 0 for the first, capped at 5 s; one that returns
 * without an error is not run again). The plugin is a scripted stand-in here so every timing is exact
 * (fake timers); the real backend's side is covered by liveSocket.test.ts and the e2e suite.
 */
import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { LiveHub, restartDelay } from '../src/server/backendPlugin/liveHub.js';
import type { PluginHost } from '../src/server/backendPlugin/pluginHost.js';

class FakeCall extends EventEmitter {
  cancelled = false;
  constructor(readonly request: { pluginContext: unknown; path: string }) {
    super();
  }
  cancel(): void {
    this.cancelled = true;
    this.emit('error', Object.assign(new Error('Cancelled on client'), { code: 1 }));
  }
  packet(text: string): void {
    this.emit('data', { data: Buffer.from(text) });
  }
  fail(code = 8, message = 'refused'): void {
    this.emit('error', Object.assign(new Error(message), { code }));
  }
  finish(): void {
    this.emit('end');
  }
}

function fakePlugin(initialData = '') {
  const calls: Array<{ at: number; call: FakeCall }> = [];
  const host = {
    stream: {
      RunStream: (req: { pluginContext: unknown; path: string }) => {
        const call = new FakeCall(req);
        calls.push({ at: Date.now(), call });
        return call;
      },
    },
    call: (_client: unknown, method: string) => {
      if (method !== 'SubscribeStream') throw new Error(`unexpected ${method}`);
      return Promise.resolve({ status: 'OK', data: Buffer.from(initialData) });
    },
  } as unknown as PluginHost;
  return { host, calls, last: () => calls[calls.length - 1]!.call };
}

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('LiveHub (Grafana Live plugin channels)', () => {
  it("SubscribeStream's initial data is the subscriber's first message, before any packet", async () => {
    const notice = '{"schema":{"meta":{"notices":[{"severity":"error","text":"at capacity"}]},"fields":[]}}';
    const p = fakePlugin(notice);
    const hub = new LiveHub(p.host);
    const got: string[] = [];
    await hub.subscribe({ user: 'a' }, 'metadata/x', (t) => got.push(t));
    expect(got).toEqual([notice]);
    p.last().packet('{"data":{"values":[[1]]}}');
    expect(got).toEqual([notice, '{"data":{"values":[[1]]}}']);
    // Empty initial data (the usual case) sends nothing.
    const q = fakePlugin('');
    const hub2 = new LiveHub(q.host);
    const got2: string[] = [];
    await hub2.subscribe({}, 'metadata/y', (t) => got2.push(t));
    expect(got2).toEqual([]);
  });

  it('a viewer joining a running channel gets only the packets sent after it joined (no replay)', async () => {
    const p = fakePlugin();
    const hub = new LiveHub(p.host);
    const first: string[] = [];
    await hub.subscribe({ user: 'a' }, 'metadata/x', (t) => first.push(t));
    p.last().packet('{"data":{"values":[[1]]}}');
    const second: string[] = [];
    await hub.subscribe({ user: 'b' }, 'metadata/x', (t) => second.push(t));
    expect(p.calls).toHaveLength(1); // one RunStream for both viewers
    expect(second).toEqual([]);
    p.last().packet('{"data":{"values":[[2]]}}');
    expect(first).toEqual(['{"data":{"values":[[1]]}}', '{"data":{"values":[[2]]}}']);
    expect(second).toEqual(['{"data":{"values":[[2]]}}']);
    hub.close();
  });

  it("a RunStream refused again and again is run again with Grafana's delays (0, 200, 400 … 5000 ms)", async () => {
    const p = fakePlugin();
    const hub = new LiveHub(p.host);
    const got: string[] = [];
    const sub = await hub.subscribe({ user: 'first' }, 'content/x', (t) => got.push(t));
    expect(p.calls).toHaveLength(1);
    const gaps: number[] = [];
    for (let i = 0; i < 9; i++) {
      const before = p.calls.length;
      p.last().fail(8, 'more than 224 live channels are running');
      // Not yet: each restart waits its delay exactly.
      const want = restartDelay(i);
      if (want > 0) {
        await vi.advanceTimersByTimeAsync(want - 1);
        expect(p.calls.length).toBe(before);
      }
      await vi.advanceTimersByTimeAsync(want > 0 ? 1 : 0);
      expect(p.calls.length).toBe(before + 1);
      gaps.push(p.calls[before]!.at - p.calls[before - 1]!.at);
    }
    expect(gaps).toEqual([0, 200, 400, 800, 1600, 3200, 5000, 5000, 5000]);
    expect(hub.runStreamsStarted).toBe(1);
    expect(hub.runStreamRestarts).toBe(9);
    // The restarted call runs as the first viewer, and once it runs its packets reach the viewer.
    expect(p.last().request).toEqual({ pluginContext: { user: 'first' }, path: 'content/x' });
    p.last().packet('{"data":{"values":[[2]]}}');
    expect(got).toEqual(['{"data":{"values":[[2]]}}']);
    // A run that lasted ≥ 100 ms and then failed restarts at once, and the count of fast failures restarts.
    await vi.advanceTimersByTimeAsync(150);
    const before = p.calls.length;
    p.last().fail(14, 'unavailable');
    await vi.advanceTimersByTimeAsync(0);
    expect(p.calls.length).toBe(before + 1);
    p.last().fail(14, 'unavailable'); // fast: restartDelay(0) = 0
    await vi.advanceTimersByTimeAsync(0);
    expect(p.calls.length).toBe(before + 2);
    p.last().fail(14, 'unavailable'); // fast again: 200 ms
    await vi.advanceTimersByTimeAsync(199);
    expect(p.calls.length).toBe(before + 2);
    await vi.advanceTimersByTimeAsync(1);
    expect(p.calls.length).toBe(before + 3);
    sub.unsubscribe();
    expect(p.last().cancelled).toBe(true);
    expect(hub.runningChannels).toBe(0);
  });

  it('the last viewer leaving during a restart delay drops the restart', async () => {
    const p = fakePlugin();
    const hub = new LiveHub(p.host, { closeDelayMs: 100 });
    const sub = await hub.subscribe({}, 'content/x', () => undefined);
    p.last().fail();
    await vi.advanceTimersByTimeAsync(0);
    p.last().fail(); // the next restart is due in 200 ms
    sub.unsubscribe();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(p.calls).toHaveLength(2);
    expect(hub.runningChannels).toBe(0);
  });

  it('a RunStream that returns without an error is not run again until a new viewer subscribes', async () => {
    const p = fakePlugin();
    const ends: Array<[string, Error | null]> = [];
    const hub = new LiveHub(p.host, { onEnd: (path, err) => ends.push([path, err]) });
    await hub.subscribe({}, 'content/x', () => undefined);
    p.last().finish();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(p.calls).toHaveLength(1);
    expect(ends).toEqual([['content/x', null]]);
    // The first viewer is still subscribed (Grafana tells it nothing); a second viewer starts a new run.
    expect(hub.runningChannels).toBe(1);
    await hub.subscribe({}, 'content/x', () => undefined);
    expect(p.calls).toHaveLength(2);
    expect(hub.runStreamsStarted).toBe(2);
  });
});
