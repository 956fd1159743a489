/**
 * Presence with document locations: what resolving carets costs per awareness update.
 *
 *   npx tsx bench/presence-locations.ts [--seconds 10]
 *
 * In one process, as the pod's presence stream sees it: 20 rooms, each a 2,000-block rich-text
 * document (y-prosemirror's XmlFragment shape), 200 clients (10 per room) whose carets move at
 * 10 Hz and who type now and then (so the documents change and memoised locations go stale). Per
 * awareness update the pod decodes it into the room's Awareness (y-protocols) and renders the
 * user for a presence subscriber; "with" resolves the location (PresenceReader, default throttle),
 * "without" renders the same users with locations off. Prints CPU µs per awareness update for both
 * (same run, alternating), their ratio (target <= 1.15) and the p50/p99 of one resolution.
 * Not a full pod: sockets, sync and broadcast cost the same in both and are left out, so the ratio
 * here is an upper bound of the pod's.
 */
import { parseArgs } from 'node:util';
import os from 'node:os';
import * as Y from 'yjs';
import { Awareness, applyAwarenessUpdate, encodeAwarenessUpdate } from 'y-protocols/awareness';
import { PresenceReader, presenceFields } from '@collabblocks/monitor';
import { seedProseBlocks } from './proseDoc.js';

const { values } = parseArgs({ options: { seconds: { type: 'string' } } });
const SECONDS = Number(values.seconds ?? 10);
const ROOMS = 20;
const CLIENTS_PER_ROOM = 10;
const BLOCKS = 2_000;
const HZ = 10;

interface Client {
  /** Yjs client id: the awareness clientID and the author of its edits. */
  id: number;
  awareness: Awareness;
  block: number;
  offset: number;
}

interface Room {
  pod: Y.Doc;
  podAwareness: Awareness;
  readers: { with: PresenceReader; without: PresenceReader };
  /**
   * The room's editors' replica: one Y.Doc the 10 clients share (each edit is made under the
   * client's own id). Ten full 2,000-block replicas per room would put 200 documents on this
   * process's heap that the pod does not hold, and their garbage collection would land in
   * whichever measured window allocates most — it did, inflating the ratio.
   */
  editor: Y.Doc;
  /** The replica's paragraph texts by block (an editor holds its nodes; no list walk per keystroke). */
  texts: Y.XmlText[];
  /** The update the last keystroke produced (what the client's provider sends). */
  pendingUpdate: Uint8Array | null;
  clients: Client[];
}

function buildDoc(): Y.Doc {
  const doc = new Y.Doc();
  seedProseBlocks(doc, BLOCKS);
  return doc;
}

function relPos(t: Y.XmlText, i: number): unknown {
  return Y.relativePositionToJSON(Y.createRelativePositionFromTypeIndex(t, i));
}

const rooms: Room[] = [];
for (let r = 0; r < ROOMS; r++) {
  const pod = buildDoc();
  const editor = new Y.Doc();
  Y.applyUpdate(editor, Y.encodeStateAsUpdate(pod));
  const texts = editor
    .getXmlFragment('prosemirror')
    .toArray()
    .map((el) => (el as Y.XmlElement).get(0) as Y.XmlText);
  const clients: Client[] = [];
  for (let c = 0; c < CLIENTS_PER_ROOM; c++) {
    // A small doc carries just the client id for its awareness.
    const id = 1_000_000 + r * 1000 + c;
    const own = new Y.Doc();
    own.clientID = id;
    clients.push({ id, awareness: new Awareness(own), block: (c * 197) % BLOCKS, offset: 0 });
  }
  const room: Room = {
    pod,
    podAwareness: new Awareness(new Y.Doc()),
    readers: { with: new PresenceReader(pod), without: new PresenceReader(pod) },
    editor,
    texts,
    pendingUpdate: null,
    clients,
  };
  editor.on('update', (u: Uint8Array) => {
    room.pendingUpdate = u;
  });
  rooms.push(room);
}

const resolveNs: number[] = [];
/** The same read() with locations off (recognition and activity only). */
const plainNs: number[] = [];
const cpu = { with: 0, without: 0 };
/** CPU µs per update of each round, per mode (round i of `with` pairs with round i of `without`). */
const perRound: { with: number[]; without: number[] } = { with: [], without: [] };
const count = { with: 0, without: 0 };

/** Client side (not measured): the client moves its caret, sometimes types (the pod applies the edit); its awareness update. */
function move(room: Room, c: Client): Uint8Array {
  c.offset = (c.offset + 1) % 20;
  if (Math.random() < 0.02) c.block = (c.block + 1) % BLOCKS;
  const t = room.texts[c.block] as Y.XmlText;
  if (Math.random() < 0.1) {
    room.editor.clientID = c.id;
    t.insert(c.offset, 'x');
    if (room.pendingUpdate) Y.applyUpdate(room.pod, room.pendingUpdate);
    room.pendingUpdate = null;
  }
  c.awareness.setLocalState({
    user: { name: 'u', color: '#30bced' },
    cursor: { anchor: relPos(t, c.offset), head: relPos(t, c.offset) },
  });
  return encodeAwarenessUpdate(c.awareness, [c.id]);
}

/**
 * Pod side (measured): the room's awareness updates of one round decoded into its Awareness, then
 * each updated user rendered for a presence subscriber (the stream's coalesced flush). One CPU
 * reading per room and round: `process.cpuUsage()` is a system call costing about as much as a
 * read() itself, and read per update it made up a third of each measured window.
 */
function podRound(room: Room, wires: Uint8Array[], mode: 'with' | 'without', now: number): void {
  const ns = mode === 'with' ? resolveNs : plainNs;
  const t0 = process.cpuUsage();
  for (const wire of wires) applyAwarenessUpdate(room.podAwareness, wire, 'client');
  const states = room.podAwareness.getStates();
  for (const c of room.clients) {
    const r0 = process.hrtime.bigint();
    const reading = room.readers[mode].read(c.id, states.get(c.id), {
      locations: mode === 'with',
      snippet: false,
      now,
    });
    ns.push(Number(process.hrtime.bigint() - r0));
    presenceFields(reading, 'metadata');
  }
  const d = process.cpuUsage(t0);
  cpu[mode] += d.user + d.system;
  count[mode] += wires.length;
}

const start = Date.now();
let tick = 0;
while (Date.now() - start < SECONDS * 1000) {
  // One 100 ms round: every client moves once; modes alternate per round.
  const mode = tick % 2 === 0 ? 'with' : 'without';
  const now = start + tick * (1000 / HZ);
  const wires = rooms.map((room) => room.clients.map((c) => move(room, c)));
  const c0 = cpu[mode];
  const n0 = count[mode];
  rooms.forEach((room, i) => podRound(room, wires[i] as Uint8Array[], mode, now));
  perRound[mode].push((cpu[mode] - c0) / Math.max(1, count[mode] - n0));
  tick++;
}

resolveNs.sort((a, b) => a - b);
plainNs.sort((a, b) => a - b);
const quantile = (xs: number[], p: number): number =>
  (xs[Math.min(xs.length - 1, Math.floor(p * xs.length))] ?? 0) / 1000;
const q = (p: number): number => quantile(resolveNs, p);
/** Median of the ratios of consecutive (with, without) rounds: robust to bursts of load on a shared machine. */
const pairRatios = perRound.with
  .slice(0, perRound.without.length)
  .map((w, i) => w / Math.max(1e-9, perRound.without[i] as number))
  .sort((a, b) => a - b);
const medianPairRatio = pairRatios[Math.floor(pairRatios.length / 2)] ?? NaN;
const perWith = cpu.with / Math.max(1, count.with);
const perWithout = cpu.without / Math.max(1, count.without);
const builds = rooms.reduce((n, r) => n + r.readers.with.indexBuilds, 0);
const resolutions = rooms.reduce((n, r) => n + r.readers.with.resolutions, 0);
const reuses = rooms.reduce((n, r) => n + r.readers.with.reuses, 0);
console.log(
  `presence locations: ${ROOMS} rooms x ${BLOCKS} blocks, ${ROOMS * CLIENTS_PER_ROOM} clients, ${tick} rounds`
);
console.log(
  `  CPU per awareness update: with locations ${perWith.toFixed(1)} µs, without ${perWithout.toFixed(1)} µs, ratio ${(perWith / perWithout).toFixed(2)} (target <= 1.15); median of per-round pair ratios ${medianPairRatio.toFixed(2)}`
);
console.log(
  `  read() with resolution: p50 ${q(0.5).toFixed(1)} µs, p99 ${q(0.99).toFixed(1)} µs; ${resolutions} resolutions (${reuses} reusing the block's structure), ${builds} root index builds`
);
console.log(
  `  read() without (recognition only): p50 ${quantile(plainNs, 0.5).toFixed(1)} µs, p99 ${quantile(plainNs, 0.99).toFixed(1)} µs`
);
console.log(
  `  load average ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} (${os.cpus().length} cores)`
);
for (const r of rooms) {
  r.readers.with.dispose();
  r.readers.without.dispose();
  // Awareness keeps an interval timer: destroyed, the process exits by itself.
  r.podAwareness.destroy();
  for (const c of r.clients) c.awareness.destroy();
}
