/**
 * Bad input against a real pod process: each case gets its own close code
 * (or is ignored), never crashes the pod, never reaches storage, and the pod
 * keeps serving other clients afterwards.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import { CloseCode } from '@collabblocks/protocol';
import { connectClient, openRaw, sleep, waitFor, type RawSocket } from './helpers/clients.js';
import { es256KeyPair, mintToken, TEST_API_KEYS } from './helpers/jwt.js';
import { startPod, type PodProcess } from './helpers/pod.js';

const MAX_FRAME = 64 * 1024;

function syncUpdateFrame(update: Uint8Array): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, 0);
  encoding.writeVarUint(e, 2);
  encoding.writeVarUint8Array(e, update);
  return encoding.toUint8Array(e);
}

async function metricValue(pod: PodProcess, re: RegExp): Promise<number> {
  const body = await (await fetch(`${pod.httpUrl}/metrics`)).text();
  let sum = 0;
  for (const line of body.split('\n')) {
    if (line.startsWith('#') || !re.test(line)) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

async function roomsOf(pod: PodProcess): Promise<Array<{ room: string; ops: number; loaded: boolean }>> {
  const res = await fetch(`${pod.httpUrl}/api/rooms`, {
    headers: { authorization: `Bearer ${TEST_API_KEYS.acme.key}` },
  });
  return ((await res.json()) as { rooms: Array<{ room: string; ops: number; loaded: boolean }> }).rooms;
}

describe('bad input', { timeout: 90_000 }, () => {
  let pod: PodProcess;
  let token: string;
  const raw = async (room: string): Promise<RawSocket> => {
    const r = await openRaw(`${pod.wsUrl}/${room}?token=${token}`);
    // Wait for the pod's sync step 1: the connection is authenticated and attached.
    await waitFor(() => r.frames.length > 0, 5000, 'server sync step 1');
    return r;
  };
  const expectClose = async (room: string, frame: Uint8Array | string, code: number) => {
    const r = await raw(room);
    r.ws.send(frame, { binary: typeof frame !== 'string' });
    const closed = await r.closed;
    expect(closed.code, `frame ${String(frame).slice(0, 40)}`).toBe(code);
    return closed;
  };

  beforeAll(async () => {
    pod = await startPod({
      env: { COLLAB_MAX_FRAME_BYTES: String(MAX_FRAME), COLLAB_MAX_BUFFERED_BYTES: String(256 * 1024) },
    });
    token = await mintToken({ org: 'acme' });
  });
  afterAll(async () => {
    await pod?.cleanup();
  });

  it('malformed and truncated frames → 4400', async () => {
    const cases: Uint8Array[] = [
      new Uint8Array([]), // empty
      new Uint8Array([0xff, 0xff]), // varint runs off the end
      new Uint8Array([0, 2, 50, 1, 2]), // update length 50, 2 bytes present
      new Uint8Array([0, 0, 9]), // state vector length 9, nothing present
      new Uint8Array([0, 9]), // unknown sync sub-type
      new Uint8Array([1, 5, 1]), // truncated awareness
      new Uint8Array([120, 3, 0x41]), // truncated trace context
    ];
    for (const f of cases) {
      const closed = await expectClose('acme/malformed', f, CloseCode.MALFORMED_MESSAGE);
      expect(closed.reason).toMatch(/malformed/);
    }
    // Syntactically framed but invalid awareness JSON.
    const e = encoding.createEncoder();
    encoding.writeVarUint(e, 1); // client count
    encoding.writeVarUint(e, 123); // client id
    encoding.writeVarUint(e, 1); // clock
    encoding.writeVarString(e, '{not json');
    const aw = encoding.createEncoder();
    encoding.writeVarUint(aw, 1);
    encoding.writeVarUint8Array(aw, encoding.toUint8Array(e));
    await expectClose('acme/malformed', encoding.toUint8Array(aw), CloseCode.MALFORMED_MESSAGE);
  });

  it('text frames → 4400', async () => {
    const closed = await expectClose('acme/text', 'hello', CloseCode.MALFORMED_MESSAGE);
    expect(closed.reason).toMatch(/text frames/);
  });

  it('oversized frames → 1009 (ws maxPayload)', async () => {
    await expectClose('acme/big', new Uint8Array(MAX_FRAME + 1), CloseCode.MESSAGE_TOO_BIG);
  });

  it('close codes are metric labels only when the pod chose them (or 1006); client-chosen codes are one bucket', async () => {
    const clientCloses = () => metricValue(pod, /^collab_client_closes_total\{.*org="acme"/);
    const tooBig = () => metricValue(pod, /^ws_errors_total\{.*code="1009"/);
    const [closesBefore, bigBefore] = [await clientCloses(), await tooBig()];
    // `ws` refuses the frame with 1009 and the client echoes it: still the pod's close.
    await expectClose('acme/labels', new Uint8Array(MAX_FRAME + 1), CloseCode.MESSAGE_TOO_BIG);
    // A client closing with codes of its choice (an app's own 4xxx, a made-up one).
    for (const code of [4000, 4321, 4999, 3000]) {
      const r = await raw('acme/labels');
      r.ws.close(code, 'client says bye');
      await r.closed;
    }
    await waitFor(async () => (await clientCloses()) >= closesBefore + 4, 5000, 'client closes counted');
    expect(await tooBig()).toBe(bigBefore + 1);
    const body = await (await fetch(`${pod.httpUrl}/metrics`)).text();
    for (const code of ['4000', '4321', '4999', '3000']) expect(body).not.toContain(`code="${code}"`);
  });

  it('invalid Yjs updates → 4411 and never reach storage', async () => {
    const doc = new Y.Doc();
    doc.getText('t').insert(0, 'a valid update that we will truncate');
    const valid = Y.encodeStateAsUpdate(doc);
    const invalid = [
      valid.subarray(0, valid.length - 3),
      new Uint8Array([1, 1, 200, 3, 0, 99, 1, 2]),
      new Uint8Array(64).fill(0xfe),
    ];
    for (const u of invalid) {
      const closed = await expectClose('acme/badupdate', syncUpdateFrame(u), CloseCode.INVALID_UPDATE);
      expect(closed.reason).toMatch(/invalid Yjs update/);
    }
    const row = (await roomsOf(pod)).find((r) => r.room === 'acme/badupdate');
    expect(row?.ops ?? 0).toBe(0);
    // A valid update on the same room is stored and served.
    const r = await raw('acme/badupdate');
    r.ws.send(syncUpdateFrame(valid));
    const c = connectClient(pod.wsUrl, 'acme/badupdate', token);
    await waitFor(() => c.doc.getText('t').toString() === doc.getText('t').toString(), 5000, 'valid update');
    c.destroy();
    r.ws.close();
  });

  it('an update that decodes but cannot be applied to the current state → 4411, never stored', async () => {
    // Find (deterministically) a mutated incremental update that decodes, applies to an empty doc,
    // but throws when applied on top of the room's state.
    let seed = 12345;
    const rnd = (n: number) => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    const src = new Y.Doc();
    src.clientID = 7;
    const ups: Uint8Array[] = [];
    src.on('update', (u: Uint8Array) => ups.push(u));
    src.getText('t').insert(0, 'hello world');
    src.getMap('m').set('a', 1);
    for (let i = 0; i < 20; i++) {
      src.getText('t').insert(rnd(10), 'ab');
      src.getText('t').delete(rnd(5), 1);
      src.getMap('m').set('k' + rnd(5), rnd(100));
    }
    const base = Y.encodeStateAsUpdate(src);
    let bad: Uint8Array | null = null;
    for (let i = 0; i < 100_000 && !bad; i++) {
      const u = ups[rnd(ups.length)]!.slice();
      for (let f = 0; f < 1 + rnd(3); f++) u[rnd(u.length)] = rnd(256);
      try {
        Y.decodeUpdate(u);
        Y.applyUpdate(new Y.Doc(), u);
      } catch {
        continue;
      }
      const d = new Y.Doc();
      Y.applyUpdate(d, base);
      try {
        Y.applyUpdate(d, u);
      } catch {
        bad = u;
      }
    }
    expect(bad).not.toBeNull();

    const writer = await raw('acme/stateful');
    writer.ws.send(syncUpdateFrame(base));
    await waitFor(
      async () => (await roomsOf(pod)).some((r) => r.room === 'acme/stateful' && r.ops === 1),
      5000,
      'base'
    );
    const attacker = await raw('acme/stateful');
    attacker.ws.send(syncUpdateFrame(bad!));
    const closed = await attacker.closed;
    expect(closed).toEqual({
      code: CloseCode.INVALID_UPDATE,
      reason: 'invalid Yjs update: cannot be applied',
    });
    await sleep(100);
    expect((await roomsOf(pod)).find((r) => r.room === 'acme/stateful')?.ops).toBe(1);
    // The room still accepts valid updates and serves the right content.
    src.getText('t').insert(0, '>');
    writer.ws.send(syncUpdateFrame(ups.at(-1)!));
    const c = connectClient(pod.wsUrl, 'acme/stateful', token);
    await waitFor(() => c.doc.getText('t').toString() === src.getText('t').toString(), 5000, 'content');
    c.destroy();
    writer.ws.close();
  });

  it('unknown message types are ignored and counted; the connection keeps working', async () => {
    const before = await metricValue(pod, /^collab_messages_total\{.*kind="unknown"/);
    const watcher = await raw('acme/unknown');
    const r = await raw('acme/unknown');
    r.ws.send(new Uint8Array([77, 1, 2, 3]));
    r.ws.send(new Uint8Array([2, 0])); // auth message type: not used by this pod
    const tp = encoding.createEncoder();
    encoding.writeVarUint(tp, 120);
    encoding.writeVarString(tp, '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    encoding.writeVarString(tp, '');
    r.ws.send(encoding.toUint8Array(tp));
    const doc = new Y.Doc();
    doc.getMap('m').set('after', 'unknown');
    r.ws.send(syncUpdateFrame(Y.encodeStateAsUpdate(doc)));
    const c = connectClient(pod.wsUrl, 'acme/unknown', token);
    await waitFor(() => c.doc.getMap('m').get('after') === 'unknown', 5000, 'update after unknown types');
    expect(r.ws.readyState).toBe(r.ws.OPEN);
    // Nothing non-standard is ever forwarded: other clients only get sync (0) and awareness (1) frames.
    await waitFor(() => watcher.frames.length >= 2, 5000, 'watcher got the update');
    expect(watcher.frames.every((f) => f[0] === 0 || f[0] === 1)).toBe(true);
    watcher.ws.close();
    expect(await metricValue(pod, /^collab_messages_total\{.*kind="unknown"/)).toBeGreaterThanOrEqual(
      before + 1
    );
    c.destroy();
    r.ws.close();
  });

  it('a client that stops reading is dropped with SLOW_CONSUMER (4412); others are unaffected', async () => {
    const slow = await raw('acme/slow');
    (slow.ws as unknown as { _socket: net.Socket })._socket.pause();
    const writer = connectClient(pod.wsUrl, 'acme/slow', token);
    const reader = connectClient(pod.wsUrl, 'acme/slow', token);
    await Promise.all([writer.synced, reader.synced]);
    const chunk = 'x'.repeat(48 * 1024);
    const before = await metricValue(pod, /^ws_errors_total\{.*code="4412"/);
    let sent = 0;
    while (sent < 400) {
      writer.doc.getArray<string>('big').push([chunk]);
      sent += 1;
      if (sent % 20 === 0) {
        await sleep(20);
        if ((await metricValue(pod, /^ws_errors_total\{.*code="4412"/)) > before) break;
      }
    }
    await waitFor(
      async () => (await metricValue(pod, /^ws_errors_total\{.*code="4412"/)) > before,
      10_000,
      'slow consumer to be dropped'
    );
    await waitFor(() => reader.doc.getArray('big').length === sent, 20_000, 'normal reader to keep up');
    expect(writer.closes).toEqual([]);
    expect(reader.closes).toEqual([]);
    (slow.ws as unknown as { _socket: net.Socket })._socket.resume();
    await slow.closed;
    // The document is now far larger than the send-buffer bound: a late joiner still gets it in one sync.
    const late = connectClient(pod.wsUrl, 'acme/slow', token);
    await late.synced;
    expect(late.doc.getArray('big').length).toBe(sent);
    expect(late.closes).toEqual([]);
    late.destroy();
    writer.destroy();
    reader.destroy();
  });

  it('fuzz: random and mutated frames never crash the pod; each is refused with 4400/4411 or processed', async () => {
    let seed = 0x2545f491;
    const rnd = (n: number) => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    const base = new Y.Doc();
    base.getText('t').insert(0, 'fuzz base text');
    base.getMap('m').set('k', { nested: [1, 2, 3] });
    base.getArray('a').push(['x', 1, true]);
    const validUpdate = Y.encodeStateAsUpdate(base);
    const valid = syncUpdateFrame(validUpdate);
    const codes = new Map<number | 'open', number>();
    for (let i = 0; i < 150; i++) {
      let frame: Uint8Array;
      const kind = rnd(4);
      if (kind === 0) {
        frame = new Uint8Array(1 + rnd(64)).map(() => rnd(256));
      } else if (kind === 1) {
        frame = valid.slice();
        for (let f = 0; f < 1 + rnd(4); f++) frame[3 + rnd(frame.length - 3)] = rnd(256);
      } else if (kind === 2) {
        frame = valid.slice(0, 1 + rnd(valid.length - 1));
      } else {
        frame = new Uint8Array([rnd(4), rnd(3), ...new Uint8Array(rnd(20)).map(() => rnd(256))]);
      }
      const r = await raw('acme/fuzz');
      const seen = r.frames.length;
      r.ws.send(frame);
      r.ws.send(new Uint8Array([0, 0, 1, 0])); // sync step 1 probe (empty state vector): answered iff still open
      const outcome = await Promise.race([
        r.closed.then((c) => c.code),
        waitFor(() => r.frames.length > seen, 5000, 'probe answer').then(() => 'open' as const),
      ]);
      codes.set(outcome, (codes.get(outcome) ?? 0) + 1);
      expect([4400, 4411, 'open'], `frame ${i}: ${Buffer.from(frame).toString('hex')}`).toContain(outcome);
      r.ws.terminate();
    }
    console.log('fuzz outcomes', Object.fromEntries(codes));
    expect(pod.proc.exitCode).toBeNull();
    expect(pod.output()).not.toMatch(/durable update failed to apply|stored updates could not be applied/);
    // The room's state is still consistent for a fresh client.
    const c = connectClient(pod.wsUrl, 'acme/fuzz', token);
    await c.synced;
    c.destroy();
  });

  it('the pod is still healthy and serving after all of the above', async () => {
    expect((await fetch(`${pod.httpUrl}/healthz`)).status).toBe(200);
    const a = connectClient(pod.wsUrl, 'acme/after', token);
    const b = connectClient(pod.wsUrl, 'acme/after', token);
    await Promise.all([a.synced, b.synced]);
    a.doc.getText('t').insert(0, 'still here');
    await waitFor(() => b.doc.getText('t').toString() === 'still here', 5000, 'convergence');
    a.destroy();
    b.destroy();
    expect(pod.proc.exitCode).toBeNull();
  });
});

describe('floods', () => {
  let pod: PodProcess;
  let token: string;
  beforeAll(async () => {
    pod = await startPod({
      env: { COLLAB_MAX_CONN_PER_IP: '5', COLLAB_MAX_ROOMS: '3', COLLAB_ROOM_IDLE_MS: '100' },
    });
    token = await mintToken({ org: 'acme' });
  });
  afterAll(async () => {
    await pod?.cleanup();
  });

  it('per-address connection cap → 4413 RATE_LIMITED; freed slots are reusable', async () => {
    const open: RawSocket[] = [];
    for (let i = 0; i < 5; i++) open.push(await openRaw(`${pod.wsUrl}/acme/flood?token=${token}`));
    await waitFor(() => open.every((r) => r.frames.length > 0), 5000, 'five attached');
    const sixth = await openRaw(`${pod.wsUrl}/acme/flood?token=${token}`);
    const closed = await sixth.closed;
    expect(closed.code).toBe(CloseCode.RATE_LIMITED);
    open[0]!.ws.close();
    await open[0]!.closed;
    await sleep(50);
    const again = await openRaw(`${pod.wsUrl}/acme/flood?token=${token}`);
    await waitFor(() => again.frames.length > 0, 5000, 'slot reused');
    for (const r of [...open.slice(1), again]) r.ws.close();
    await Promise.all([...open.slice(1), again].map((r) => r.closed));
  });

  it('room limit → 4413 RATE_LIMITED for new rooms; rooms free up after idle unload', async () => {
    // Start from no loaded rooms (the previous test's room unloads after 100 ms idle).
    await waitFor(async () => (await roomsOf(pod)).every((r) => !r.loaded), 5000, 'previous rooms unloaded');
    const held: RawSocket[] = [];
    for (const room of ['acme/r1', 'acme/r2', 'acme/r3']) {
      const r = await openRaw(`${pod.wsUrl}/${room}?token=${token}`);
      await waitFor(() => r.frames.length > 0, 5000, room);
      held.push(r);
    }
    const fourth = await openRaw(`${pod.wsUrl}/acme/r4?token=${token}`);
    const closed = await fourth.closed;
    expect(closed.code).toBe(CloseCode.RATE_LIMITED);
    expect(closed.reason).toMatch(/room limit/);
    // An already loaded room still accepts connections.
    const same = await openRaw(`${pod.wsUrl}/acme/r1?token=${token}`);
    await waitFor(() => same.frames.length > 0, 5000, 'existing room');
    same.ws.close();
    for (const r of held) r.ws.close();
    await Promise.all(held.map((r) => r.closed));
    // After the idle unload (100 ms) the fourth room can load.
    await waitFor(
      async () => {
        const r = await openRaw(`${pod.wsUrl}/acme/r4?token=${token}`);
        const ok = await Promise.race([
          r.closed.then(() => false),
          waitFor(() => r.frames.length > 0, 1000, 'r4').then(() => true),
        ]).catch(() => false);
        r.ws.close();
        return ok;
      },
      5000,
      'room r4 after unload'
    );
  });
});

describe('frames sent before authentication completes', () => {
  let pod: PodProcess;
  let jwks: http.Server;
  let keys: Awaited<ReturnType<typeof es256KeyPair>>;
  beforeAll(async () => {
    keys = await es256KeyPair();
    // A slow key server keeps connections in the authenticating state for a while.
    jwks = http.createServer((_req, res) => {
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ keys: [keys.publicJwk] }));
      }, 1500);
    });
    await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', r));
    pod = await startPod({
      env: {
        COLLAB_JWT_SECRET: undefined,
        COLLAB_JWKS_URL: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`,
        COLLAB_PSEUDONYM_SECRET: 'pseudonym-secret-for-tests-123',
      },
    });
  });
  afterAll(async () => {
    await pod?.cleanup();
    jwks?.closeAllConnections();
    await new Promise((r) => jwks?.close(r));
  });

  it('are queued in order (bounded) and processed once the room is ready; a flood is refused with 4413', async () => {
    const token = await mintToken({ org: 'acme', alg: 'ES256', key: keys.privateKey });
    // Early frames: an update sent immediately after open is applied once authenticated.
    const early = await openRaw(`${pod.wsUrl}/acme/early?token=${token}`);
    const flood = await openRaw(`${pod.wsUrl}/acme/early?token=${token}`);
    const doc = new Y.Doc();
    doc.getText('t').insert(0, 'sent before auth finished');
    early.ws.send(syncUpdateFrame(Y.encodeStateAsUpdate(doc)));
    for (let i = 0; i < 300; i++) flood.ws.send(new Uint8Array([1, 1, 0]));
    const closed = await flood.closed;
    expect(closed.code).toBe(CloseCode.RATE_LIMITED);
    expect(closed.reason).toMatch(/before the room was ready/);
    const c = connectClient(pod.wsUrl, 'acme/early', token);
    await waitFor(
      () => c.doc.getText('t').toString() === 'sent before auth finished',
      10_000,
      'early update'
    );
    expect(early.ws.readyState).toBe(early.ws.OPEN);
    c.destroy();
    early.ws.close();
  });
});
