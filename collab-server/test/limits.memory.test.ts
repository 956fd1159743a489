/**
 * Issue 16 item 2: memory amplification through sync. A client that sends a 1-byte (empty) state
 * vector gets the whole document queued; clients that never read used to pile one copy each into
 * the pod's memory. Now every queued byte counts against the pod-wide budget
 * (`COLLAB_MAX_QUEUED_BYTES`): a sync reply that does not fit is refused with POD_OVERLOADED (4508),
 * and one full-state reply is shared by every requester of the same document version.
 *
 * RSS is read from the pod process (`/proc/<pid>/status` VmRSS) against a baseline taken in the
 * same test once the document is loaded.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloseCode } from '@collabblocks/protocol';
import { openNeverReaders, podRssBytes, SyncPing, type NeverReader } from './helpers/attacks.js';
import { connectClient, sleep, waitFor, type StockClient } from './helpers/clients.js';
import { mintToken } from './helpers/jwt.js';
import { startPod, type PodProcess } from './helpers/pod.js';

const MiB = 1024 * 1024;
const DOC_BYTES = 8 * MiB;
const BUDGET = 64 * MiB;
/** A budget below the document's size: no full-state reply of it fits. */
const SMALL_BUDGET = 4 * MiB;
/** Transient encode buffers and allocator slack on top of the budget. */
const SLACK = 96 * MiB;
const READERS = 150;

async function bigDoc(
  pod: PodProcess,
  room: string
): Promise<{ writer: StockClient; observer: StockClient }> {
  const writer = connectClient(pod.wsUrl, room, await mintToken({ org: 'acme', sub: 'writer' }));
  const observer = connectClient(pod.wsUrl, room, await mintToken({ org: 'acme', sub: 'observer' }));
  await Promise.all([writer.synced, observer.synced]);
  const chunk = 'x'.repeat(2 * MiB);
  for (let i = 0; i < DOC_BYTES / chunk.length; i++) writer.doc.getText('big').insert(0, chunk);
  await waitFor(() => observer.doc.getText('big').length === DOC_BYTES, 20_000, 'document written');
  return { writer, observer };
}

/** `collab_queued_bytes` from the pod's /metrics. */
async function queuedBytes(pod: PodProcess): Promise<number> {
  const text = await (await fetch(`${pod.httpUrl}/metrics`)).text();
  const m = /^collab_queued_bytes\{[^}]*\} (\d+)/m.exec(text);
  if (!m) throw new Error('collab_queued_bytes not exposed');
  return Number(m[1]);
}

/** Resumes the never-readers and collects how each ended within `ms` (`open` when it did not). */
async function outcomes(readers: NeverReader[], ms: number): Promise<Array<number | 'open'>> {
  return Promise.all(
    readers.map(async (r) => {
      if (!r.ws) return 1006;
      r.ws.resume();
      const code = await Promise.race([r.closed, sleep(ms).then(() => 'open' as const)]);
      r.ws.terminate();
      return code;
    })
  );
}

describe('sync replies against the queued-bytes budget', () => {
  let pod: PodProcess;
  beforeAll(async () => {
    pod = await startPod({ env: { COLLAB_MAX_QUEUED_BYTES: String(BUDGET) } });
  });
  afterAll(async () => {
    await pod?.cleanup();
  });

  it('150 never-reading clients of one document version share one reply: all served, RSS bounded', async () => {
    const room = 'acme/big-shared';
    const { writer, observer } = await bigDoc(pod, room);
    const token = await mintToken({ org: 'acme', sub: 'reader' });
    const base = podRssBytes(pod.proc.pid as number);
    const readers = await openNeverReaders(`${pod.wsUrl}/${room}?token=${token}`, READERS);
    await sleep(1000);
    const peak = podRssBytes(pod.proc.pid as number);
    const ends = await outcomes(readers, 3000);
    writer.destroy();
    observer.destroy();
    expect(peak - base, `RSS grew ${((peak - base) / MiB).toFixed(0)} MiB`).toBeLessThan(BUDGET + SLACK);
    expect(ends.filter((e) => e === CloseCode.POD_OVERLOADED)).toHaveLength(0);
    // Every queued byte is released once the readers are gone (an accounting leak would refuse forever).
    await waitFor(async () => (await queuedBytes(pod)) < MiB, 5000, 'queued bytes released');
  }, 60_000);

  it('150 never-reading clients asking for more than the budget: all refused with 4508, RSS bounded, the pod serves others', async () => {
    const small = await startPod({ env: { COLLAB_MAX_QUEUED_BYTES: String(SMALL_BUDGET) } });
    try {
      const room = 'acme/big-over-budget';
      const { writer, observer } = await bigDoc(small, room);
      const token = await mintToken({ org: 'acme', sub: 'reader' });
      const base = podRssBytes(small.proc.pid as number);
      const readers = await openNeverReaders(`${small.wsUrl}/${room}?token=${token}`, READERS);
      await sleep(1000);
      const peak = podRssBytes(small.proc.pid as number);
      const ends = await outcomes(readers, 3000);
      writer.destroy();
      observer.destroy();
      expect(peak - base, `RSS grew ${((peak - base) / MiB).toFixed(0)} MiB`).toBeLessThan(
        SMALL_BUDGET + SLACK
      );
      expect(ends.filter((e) => e === CloseCode.POD_OVERLOADED).length, JSON.stringify(ends)).toBe(READERS);
      await waitFor(async () => (await queuedBytes(small)) < MiB, 5000, 'queued bytes released');
      // Work that fits is still done: a client of a small room syncs and converges.
      const ping = await SyncPing.open(small.wsUrl, 'acme/small', token, token);
      const rtt = await ping.once(5000);
      ping.destroy();
      expect(rtt).toBeLessThan(5000);
    } finally {
      await small.cleanup();
    }
  }, 60_000);
});
