/**
 * Presence liveness on a real pod: a client that vanishes without closing
 * (stops answering pings) is terminated within two ping intervals and its
 * awareness state is removed for everyone else; the RTT of live clients is
 * sampled from ping/pong.
 */
import type net from 'node:net';
import * as encoding from 'lib0/encoding';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as awarenessProtocol from 'y-protocols/awareness';
import * as Y from 'yjs';
import { connectClient, openRaw, sleep, waitFor } from './helpers/clients.js';
import { mintToken } from './helpers/jwt.js';
import { startPod, type PodProcess } from './helpers/pod.js';

describe('presence liveness', () => {
  let pod: PodProcess;
  beforeAll(async () => {
    pod = await startPod({ env: { COLLAB_PING_INTERVAL_MS: '200' } });
  });
  afterAll(async () => {
    await pod?.cleanup();
  });

  it('removes the awareness of a client that stops answering pings', async () => {
    const token = await mintToken({ org: 'acme' });
    const observer = connectClient(pod.wsUrl, 'acme/ghosts', token);
    await observer.synced;

    const ghostDoc = new Y.Doc();
    const ghostAwareness = new awarenessProtocol.Awareness(ghostDoc);
    ghostAwareness.setLocalState({ user: 'ghost' });
    const frame = encoding.createEncoder();
    encoding.writeVarUint(frame, 1);
    encoding.writeVarUint8Array(
      frame,
      awarenessProtocol.encodeAwarenessUpdate(ghostAwareness, [ghostDoc.clientID])
    );
    ghostAwareness.destroy();
    const ghost = await openRaw(`${pod.wsUrl}/acme/ghosts?token=${token}`);
    ghost.ws.send(encoding.toUint8Array(frame));
    await waitFor(
      () => observer.provider.awareness.getStates().get(ghostDoc.clientID)?.user === 'ghost',
      5000,
      'ghost visible'
    );
    // The ghost's process "freezes": it no longer reads, so it never answers a ping. Its removal comes from
    // the pod's ping liveness (200 ms here), not from awareness's own 30 s timeout: the wait below is far
    // shorter than that (no tighter wall-clock bound: it flakes on a loaded machine).
    (ghost.ws as unknown as { _socket: net.Socket })._socket.pause();
    await waitFor(
      () => !observer.provider.awareness.getStates().has(ghostDoc.clientID),
      15_000,
      'ghost removed'
    );
    // The observer itself answers pings and stays connected.
    expect(observer.closes).toEqual([]);
    expect(observer.provider.wsconnected).toBe(true);
    ghost.ws.terminate();
    observer.destroy();
  });

  it('a pod frozen past the ping interval (SIGSTOP) keeps its clients once it resumes', async () => {
    const stalled = await startPod({ env: { COLLAB_PING_INTERVAL_MS: '100' } });
    try {
      const c = connectClient(stalled.wsUrl, 'acme/stall', await mintToken({ org: 'acme' }));
      await c.synced;
      for (let i = 0; i < 4; i++) {
        // Freeze the pod past the ping interval; the client answers the last ping meanwhile.
        stalled.proc.kill('SIGSTOP');
        await sleep(400);
        stalled.proc.kill('SIGCONT');
        await sleep(150);
      }
      await sleep(300);
      expect(c.closes).toEqual([]);
      expect(c.provider.wsconnected).toBe(true);
      c.destroy();
    } finally {
      stalled.proc.kill('SIGCONT');
      await stalled.cleanup();
    }
  });

  it('samples presence RTT from ping/pong into presence_rtt_ms', async () => {
    const c = connectClient(pod.wsUrl, 'acme/rtt', await mintToken({ org: 'acme' }));
    await c.synced;
    const count = async () => {
      const body = await (await fetch(`${pod.httpUrl}/metrics`)).text();
      const line = body.split('\n').find((l) => /^presence_rtt_ms_count\{.*org="acme"/.test(l));
      return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
    };
    await waitFor(async () => (await count()) >= 3, 5000, 'rtt samples');
    c.destroy();
  });
});
