/**
 * Presence with document locations through a real pod: the pod process's CPU per awareness update
 * with locations on vs off (issue 13's target is the pod's CPU; `presence-locations.ts` measures
 * the same in one process, without sockets, as an upper bound of this ratio).
 *
 *   npx tsx bench/presence-locations-pod.ts [--seconds 40] [--phase 4]
 *
 * A pod process (tsx src/main.ts on 127.0.0.1, temp data dir), 20 rooms of 2,000-block rich-text
 * documents (y-prosemirror's XmlFragment shape) seeded by one stock y-websocket editor per room,
 * 200 awareness clients (10 per room, raw y-websocket sockets: one awareness message each per
 * 100 ms, a y-prosemirror caret moving one character) and the room's editor typing at the moving
 * carets now and then (10 % of moves). One metadata-scope inspector subscribes to the presence of
 * all 20 rooms; phases alternate between subscriptions with locations (default) and with
 * `presence: { locations: false }`, resubscribing at each switch and leaving one second before
 * measuring. Per phase: the pod's CPU (utime + stime from /proc/<pid>/stat) over the awareness
 * updates sent in it. Everything but the location resolution is the same in both phases: sync,
 * broadcast to the room, the presence stream's coalesced patches. Exits by itself.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
import { Awareness, encodeAwarenessUpdate } from 'y-protocols/awareness';
import { startPod, type PodProcess } from '../test/helpers/pod.js';
import { connectClient, type StockClient } from '../test/helpers/clients.js';
import { mintToken } from '../test/helpers/jwt.js';
import { KEYS, mintInspect } from '../test/inspect.client.js';
import { seedProseBlocks } from './proseDoc.js';

const { values } = parseArgs({ options: { seconds: { type: 'string' }, phase: { type: 'string' } } });
const SECONDS = Number(values.seconds ?? 40);
const PHASE_S = Number(values.phase ?? 4);
const ROOMS = 20;
const CLIENTS_PER_ROOM = 10;
const BLOCKS = 2_000;
const HZ = 10;
const WARMUP_MS = 1_000;
/** y-websocket message type of an awareness update. */
const MESSAGE_AWARENESS = 1;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** utime + stime of a process in µs (clock ticks of 10 ms). */
function cpuOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(rest[11]) + Number(rest[12]);
  return (ticks * 1e6) / 100;
}

interface Mover {
  ws: WebSocket;
  awareness: Awareness;
  block: number;
  offset: number;
}

interface BenchRoom {
  name: string;
  editor: StockClient;
  texts: Y.XmlText[];
  movers: Mover[];
}

async function openMover(pod: PodProcess, room: string, i: number): Promise<Mover> {
  const token = await mintToken({ org: 'acme', sub: `mover-${room}-${i}`, name: `Mover ${i}` });
  const ws = new WebSocket(`${pod.wsUrl}/${room}?token=${encodeURIComponent(token)}`);
  // Broadcasts from the room are read and dropped (a client's provider would apply them).
  ws.on('message', () => undefined);
  await new Promise<void>((res, rej) => {
    ws.once('open', () => res());
    ws.once('error', rej);
  });
  return { ws, awareness: new Awareness(new Y.Doc()), block: (i * 197) % BLOCKS, offset: 0 };
}

function relPos(t: Y.XmlText, i: number): unknown {
  return Y.relativePositionToJSON(Y.createRelativePositionFromTypeIndex(t, i));
}

/** One caret move (and sometimes the room's editor types there): one awareness message. */
function move(room: BenchRoom, m: Mover): void {
  m.offset = (m.offset + 1) % 20;
  if (Math.random() < 0.02) m.block = (m.block + 1) % BLOCKS;
  const t = room.texts[m.block] as Y.XmlText;
  if (Math.random() < 0.1) t.insert(m.offset, 'x');
  m.awareness.setLocalState({
    user: { name: 'u', color: '#30bced' },
    cursor: { anchor: relPos(t, m.offset), head: relPos(t, m.offset) },
  });
  const enc = encoding.createEncoder();
  encoding.writeVarUint(enc, MESSAGE_AWARENESS);
  encoding.writeVarUint8Array(enc, encodeAwarenessUpdate(m.awareness, [m.awareness.clientID]));
  m.ws.send(encoding.toUint8Array(enc));
}

interface Inspector {
  ws: WebSocket;
  send(msg: Record<string, unknown>): void;
  /** Presence patches, and users in them with / without a location, received since the last reset. */
  seen: { patches: number; located: number; plain: number };
  subs: Map<string, string>;
}

async function openInspector(pod: PodProcess): Promise<Inspector> {
  const { token } = await mintInspect(pod.httpUrl, KEYS.metadata, 'metadata');
  const ws = new WebSocket(`${pod.wsUrl}/inspect`);
  const insp: Inspector = {
    ws,
    send: (msg) => ws.send(JSON.stringify({ v: 1, ...msg })),
    seen: { patches: 0, located: 0, plain: 0 },
    subs: new Map(),
  };
  ws.on('message', (d) => {
    const m = JSON.parse((d as Buffer).toString('utf8')) as {
      type: string;
      id?: string;
      sub?: string;
      joined?: Array<{ location?: unknown }>;
      updated?: Array<{ location?: unknown }>;
    };
    if (m.type === 'subscribed' && m.id !== undefined && m.sub !== undefined) insp.subs.set(m.id, m.sub);
    if (m.type === 'presencePatch') insp.seen.patches++;
    if (m.type === 'presencePatch')
      for (const u of [...(m.joined ?? []), ...(m.updated ?? [])])
        if (u.location) insp.seen.located++;
        else insp.seen.plain++;
  });
  await new Promise<void>((res, rej) => {
    ws.once('open', () => res());
    ws.once('error', rej);
  });
  insp.send({ type: 'auth', id: 'auth', token });
  return insp;
}

async function resubscribe(
  insp: Inspector,
  rooms: BenchRoom[],
  locations: boolean,
  phase: number
): Promise<void> {
  for (const sub of insp.subs.values()) insp.send({ type: 'unsubscribe', sub });
  insp.subs.clear();
  for (const [i, r] of rooms.entries())
    insp.send({
      type: 'subscribe',
      id: `p${phase}-${i}`,
      stream: 'presence',
      room: r.name,
      ...(locations ? {} : { presence: { locations: false } }),
    });
  const end = Date.now() + 10_000;
  while (insp.subs.size < rooms.length) {
    if (Date.now() > end)
      throw new Error(`only ${insp.subs.size} of ${rooms.length} presence subscriptions answered`);
    await sleep(10);
  }
}

async function main(): Promise<void> {
  // Each stock provider (the 20 editors) listens for the process's exit.
  process.setMaxListeners(ROOMS + 10);
  const pod = await startPod({ env: { COLLAB_LOG_LEVEL: 'info' } });
  const pid = pod.proc.pid;
  if (pid === undefined) throw new Error('no pod pid');
  const rooms: BenchRoom[] = [];
  const stopTimers: Array<() => void> = [];
  try {
    for (let r = 0; r < ROOMS; r++) {
      const name = `acme/presence-bench-${r}`;
      const editor = connectClient(pod.wsUrl, name, await mintToken({ org: 'acme', sub: `editor-${r}` }));
      await editor.synced;
      seedProseBlocks(editor.doc, BLOCKS);
      const texts = editor.doc
        .getXmlFragment('prosemirror')
        .toArray()
        .map((el) => (el as Y.XmlElement).get(0) as Y.XmlText);
      const movers: Mover[] = [];
      for (let i = 0; i < CLIENTS_PER_ROOM; i++) movers.push(await openMover(pod, name, i));
      rooms.push({ name, editor, texts, movers });
    }
    const insp = await openInspector(pod);

    let sent = 0;
    // Each room's movers every 100 ms, rooms staggered across the period.
    for (const [r, room] of rooms.entries()) {
      const start = setTimeout(
        () => {
          const timer = setInterval(() => {
            for (const m of room.movers) move(room, m);
            sent += room.movers.length;
          }, 1000 / HZ);
          stopTimers.push(() => clearInterval(timer));
        },
        (r * 1000) / HZ / ROOMS
      );
      stopTimers.push(() => clearTimeout(start));
    }

    const acc = {
      with: { cpu: 0, updates: 0, patches: 0, located: 0, plain: 0 },
      without: { cpu: 0, updates: 0, patches: 0, located: 0, plain: 0 },
    };
    // An even count: both modes measured as often; the movers run a while before the first phase.
    const phases = 2 * Math.max(1, Math.round(SECONDS / (2 * (PHASE_S + WARMUP_MS / 1000))));
    await sleep(2 * WARMUP_MS);
    for (let ph = 0; ph < phases; ph++) {
      const mode = ph % 2 === 0 ? 'with' : 'without';
      await resubscribe(insp, rooms, mode === 'with', ph);
      await sleep(WARMUP_MS);
      insp.seen.patches = 0;
      insp.seen.located = 0;
      insp.seen.plain = 0;
      const c0 = cpuOf(pid);
      const s0 = sent;
      await sleep(PHASE_S * 1000);
      const a = acc[mode];
      a.cpu += cpuOf(pid) - c0;
      a.updates += sent - s0;
      a.located += insp.seen.located;
      a.plain += insp.seen.plain;
      a.patches += insp.seen.patches;
    }
    for (const stop of stopTimers) stop();

    const per = (a: { cpu: number; updates: number }): number => a.cpu / Math.max(1, a.updates);
    const ratio = per(acc.with) / per(acc.without);
    console.log(
      `presence locations through a pod: ${ROOMS} rooms x ${BLOCKS} blocks, ${ROOMS * CLIENTS_PER_ROOM} clients at ${HZ} Hz, ${phases} phases of ${PHASE_S} s alternating`
    );
    console.log(
      `  pod CPU per awareness update: with locations ${per(acc.with).toFixed(1)} µs (${acc.with.updates} updates), without ${per(acc.without).toFixed(1)} µs (${acc.without.updates} updates), ratio ${ratio.toFixed(2)} (target <= 1.15)`
    );
    console.log(
      `  presence patches received: with ${acc.with.patches} (users: ${acc.with.located} located, ${acc.with.plain} not), without ${acc.without.patches} (users: ${acc.without.located} located, ${acc.without.plain} not); ${ROOMS * 10} a second per mode when the pod keeps up (one flush per room per round)`
    );
    console.log(
      `  load average ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')} (${os.cpus().length} cores)`
    );
    insp.ws.close();
  } finally {
    for (const stop of stopTimers) stop();
    for (const r of rooms) {
      for (const m of r.movers) {
        m.ws.close();
        m.awareness.destroy();
      }
      r.editor.destroy();
    }
    await pod.cleanup();
  }
}

await main();
