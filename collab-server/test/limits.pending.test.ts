/**
 * Issue 16 item 8: sockets that never finish their HTTP request are counted per address and time
 * out quickly (`COLLAB_MAX_PENDING_SOCKETS_PER_IP`, `COLLAB_PENDING_SOCKET_TIMEOUT_MS`), instead of
 * being held until Node's 60 s header timeout. Another address is not affected.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { holdPendingSockets } from './helpers/attacks.js';
import { waitFor } from './helpers/clients.js';
import { mintToken } from './helpers/jwt.js';
import { startPod, type PodProcess } from './helpers/pod.js';

const CAP = 16;
const TIMEOUT_MS = 1500;
const SOCKETS = 300;

describe('pre-upgrade sockets', () => {
  let pod: PodProcess;
  beforeAll(async () => {
    pod = await startPod({
      env: {
        COLLAB_MAX_PENDING_SOCKETS_PER_IP: String(CAP),
        COLLAB_PENDING_SOCKET_TIMEOUT_MS: String(TIMEOUT_MS),
      },
    });
  });
  afterAll(async () => {
    await pod?.cleanup();
  });

  it('beyond the per-address cap are closed at once, the rest at the deadline; other addresses still connect', async () => {
    const held = await holdPendingSockets(pod.port, SOCKETS);
    try {
      // Everything beyond the cap is closed right away (well before the deadline).
      await waitFor(
        () => held.filter((h) => h.closedAfterMs !== null).length >= SOCKETS - CAP,
        TIMEOUT_MS * 0.8,
        'sockets beyond the cap closed before the deadline'
      );
      const early = held.filter((h) => h.closedAfterMs !== null && h.closedAfterMs < TIMEOUT_MS * 0.8);
      expect(early.length).toBeGreaterThanOrEqual(SOCKETS - CAP);

      // While 127.0.0.1 holds its cap, a client from another loopback address joins its room (it
      // receives the pod's sync step 1).
      const token = await mintToken({ org: 'acme' });
      const fromOther = new WebSocket(`${pod.wsUrl}/acme/pending-other?token=${token}`, {
        localAddress: '127.0.0.2',
      });
      await new Promise<void>((resolve, reject) => {
        fromOther.once('message', () => resolve());
        fromOther.once('error', reject);
        fromOther.once('close', (code) => reject(new Error(`closed ${code}`)));
      });
      fromOther.close();

      // The ones within the cap are closed at the deadline, not held for Node's 60 s header timeout.
      await waitFor(
        () => held.every((h) => h.closedAfterMs !== null),
        TIMEOUT_MS * 4,
        'all pending sockets closed'
      );
      const last = Math.max(...held.map((h) => h.closedAfterMs ?? Infinity));
      expect(last).toBeGreaterThanOrEqual(TIMEOUT_MS * 0.9);
      expect(last).toBeLessThan(TIMEOUT_MS * 4);
    } finally {
      for (const h of held) h.socket.destroy();
    }
  });
});
