/**
 * Pathological delete sets (issue 16 item 5). One accepted update with 200,000
 * delete ranges for an unknown client made every later sync of its room ~30x
 * slower, forever: Yjs keeps such ranges as the doc's pending delete set and
 * merges it into every sync reply. The pod now refuses a client update that would
 * leave the room holding more than COLLAB_MAX_PENDING_DELETE_RANGES of them
 * (4416 DELETE_SET_TOO_LARGE, never stored), drops the excess when it arrives by a
 * trusted path (another pod, storage), and still accepts large deletes of content
 * the room has.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import { CloseCode, YMessageType, YSyncType } from '@collabblocks/protocol';
import { pendingDeleteRanges } from '../src/rooms/update/validate.js';
import { connectClient, openRaw, sleep, waitFor, type RawSocket } from './helpers/clients.js';
import { startInProcess } from './helpers/inproc.js';
import { mintToken } from './helpers/jwt.js';
import { startPod, type PodProcess } from './helpers/pod.js';

/** An update with no structs and `ranges` one-item delete ranges of `client` (a client nobody has). */
function deleteSetOnly(client: number, ranges: number): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, 0); // structs: no clients
  encoding.writeVarUint(e, 1); // delete set: one client
  encoding.writeVarUint(e, client);
  encoding.writeVarUint(e, ranges);
  for (let i = 0; i < ranges; i++) {
    encoding.writeVarUint(e, i * 2); // clock
    encoding.writeVarUint(e, 1); // len
  }
  return encoding.toUint8Array(e);
}

function syncFrame(sub: number, payload: Uint8Array): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, YMessageType.SYNC);
  encoding.writeVarUint(e, sub);
  encoding.writeVarUint8Array(e, payload);
  return encoding.toUint8Array(e);
}

function isSyncStep2(frame: Uint8Array): boolean {
  const d = decoding.createDecoder(frame);
  return decoding.readVarUint(d) === YMessageType.SYNC && decoding.readVarUint(d) === YSyncType.STEP2;
}

/** One full sync as a fresh client would do it: step 1 with an empty state vector → the pod's step 2. */
async function timedSync(raw: RawSocket): Promise<{ ms: number; bytes: number }> {
  const before = raw.frames.length;
  const t0 = performance.now();
  raw.ws.send(syncFrame(YSyncType.STEP1, Y.encodeStateVector(new Y.Doc())));
  let reply: Uint8Array | undefined;
  await waitFor(
    () => (reply = raw.frames.slice(before).find(isSyncStep2)) !== undefined,
    10_000,
    'sync step 2'
  );
  return { ms: performance.now() - t0, bytes: (reply as Uint8Array).byteLength };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function syncs(raw: RawSocket, n: number): Promise<{ ms: number; bytes: number }> {
  const out: Array<{ ms: number; bytes: number }> = [];
  for (let i = 0; i < n; i++) out.push(await timedSync(raw));
  return { ms: median(out.map((s) => s.ms)), bytes: median(out.map((s) => s.bytes)) };
}

describe('pathological delete sets', () => {
  let pod: PodProcess;
  beforeAll(async () => {
    pod = await startPod();
  });
  afterAll(async () => {
    await pod?.cleanup();
  });

  it('refuses 200,000 delete ranges of an unknown client with 4416; the room keeps syncing fast', async () => {
    const token = await mintToken({ org: 'acme' });
    const room = 'acme/deletes';
    const writer = connectClient(pod.wsUrl, room, token);
    await writer.synced;
    // A document of a realistic size, so a sync has real work to do.
    for (let i = 0; i < 200; i++) writer.doc.getText('t').insert(0, `paragraph ${i} of the document. `);
    const reader = await openRaw(`${pod.wsUrl}/${room}?token=${token}`);
    await waitFor(async () => (await timedSync(reader)).bytes > 6000, 10_000, 'document on the pod');
    const baseline = await syncs(reader, 7);

    const attacker = await openRaw(`${pod.wsUrl}/${room}?token=${token}`);
    attacker.ws.send(syncFrame(YSyncType.UPDATE, deleteSetOnly(0x7ff0_0001, 200_000)));
    const closed = await Promise.race([
      attacker.closed,
      sleep(5000).then(() => ({ code: 0, reason: 'not closed within 5 s' })),
    ]);
    // What a client still syncing in the room sees (before the verdict on the attacker is checked).
    const after = await syncs(reader, 7);
    expect({ code: closed.code, reason: closed.reason }).toEqual({
      code: CloseCode.DELETE_SET_TOO_LARGE,
      reason: expect.stringMatching(/delete set too large/) as unknown as string,
    });

    // The room still syncs like before: the same reply (the refused delete set was not stored, so later
    // syncs carry and process nothing more). The sync time is printed, not bounded: a ratio of two wall
    // clocks flakes on a loaded machine.
    console.log(`sync after the refused delete set: ${after.ms} ms (baseline ${baseline.ms} ms)`);
    expect(after.bytes).toBeLessThan(baseline.bytes * 1.1);
    // And the writer keeps editing.
    writer.doc.getText('t').insert(0, 'still here ');
    const late = connectClient(pod.wsUrl, room, token);
    await late.synced;
    await waitFor(
      () => late.doc.getText('t').toString().startsWith('still here '),
      5000,
      'edit after attack'
    );
    // After a restart too: nothing of the attack was stored.
    writer.destroy();
    late.destroy();
    reader.ws.close();
    await pod.stop();
    pod = await pod.restart();
    const again = await openRaw(`${pod.wsUrl}/${room}?token=${token}`);
    const restarted = await syncs(again, 5);
    expect(restarted.bytes).toBeLessThan(baseline.bytes * 1.1);
    again.ws.close();
  });

  it('accepts a large delete of content the room has (many ranges of known clients)', async () => {
    const token = await mintToken({ org: 'acme' });
    const room = 'acme/big-delete';
    const a = connectClient(pod.wsUrl, room, token);
    const b = connectClient(pod.wsUrl, room, token);
    await Promise.all([a.synced, b.synced]);
    const text = a.doc.getText('t');
    text.insert(0, 'x'.repeat(30_000));
    await waitFor(() => b.doc.getText('t').length === 30_000, 10_000, 'text on b');
    // Every other character in one transaction: 15,000 delete ranges, more than the pending bound.
    let ranges = 0;
    a.doc.once('update', (u: Uint8Array) => {
      for (const r of Y.decodeUpdate(u).ds.clients.values()) ranges += r.length;
    });
    a.doc.transact(() => {
      for (let i = 15_000; i > 0; i--) text.delete(i * 2 - 1, 1);
    });
    expect(ranges).toBe(15_000);
    await waitFor(() => b.doc.getText('t').length === 15_000, 10_000, 'delete on b');
    expect(a.closes).toEqual([]);
    a.destroy();
    b.destroy();
  });
});

describe('pending delete sets from trusted paths', () => {
  it('another pod or storage cannot leave a room with an oversized pending delete set', async () => {
    const p = await startInProcess({ env: { COLLAB_MAX_PENDING_DELETE_RANGES: '1000' } });
    try {
      // Stored by an older pod before the bound existed: the room loads without it.
      await p.server.storage.append('acme/stored', [
        { clientId: 0, ts: Date.now(), update: deleteSetOnly(0x7ff0_0002, 5000) },
      ]);
      const token = await mintToken({ org: 'acme' });
      const c = connectClient(p.wsUrl, 'acme/stored', token);
      await c.synced;
      const room = p.server.rooms.get('acme/stored');
      expect(room).toBeDefined();
      expect(pendingDeleteRanges(room!.doc)).toBe(0);
      // Fanned out by another pod: applied, and the excess dropped.
      expect(room!.applyRemoteUpdate(deleteSetOnly(0x7ff0_0003, 5000))).toBe(true);
      expect(pendingDeleteRanges(room!.doc)).toBe(0);
      // Within the bound, pending deletes stay (their content may still arrive).
      expect(room!.applyRemoteUpdate(deleteSetOnly(0x7ff0_0004, 10))).toBe(true);
      expect(pendingDeleteRanges(room!.doc)).toBe(10);
      c.destroy();
    } finally {
      await p.close();
    }
  });
});
