/**
 * Shared by the simulator tests: runs the simulator for a few seconds against
 * a real server while an independent observer client joins every room, then
 * checks what the observer saw (content, presence) and that every bot's
 * document converged to the observer's.
 */
import WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';
import { Awareness } from 'y-protocols/awareness';
import * as Y from 'yjs';
import type { Bot } from '../src/sim/bot.js';
import { planRooms, runSimulation, type SimConfig, type SimResult } from '../src/sim/simulator.js';
import { TokenMinter } from '../src/sim/tokens.js';

type ProviderOptions = NonNullable<ConstructorParameters<typeof WebsocketProvider>[3]>;
const WebSocketPolyfill = WebSocket as unknown as NonNullable<ProviderOptions['WebSocketPolyfill']>;

export interface ObservedPresence {
  name: string;
  color: string;
  x: number;
  y: number;
  status: string;
}

export interface Observer {
  docs: Map<string, Y.Doc>;
  presence: ObservedPresence[];
  /** Plain-JSON view of a room document (for equality checks). */
  view(roomId: string): string;
  close(): void;
}

/** JSON with object keys sorted: Y.Map key order depends on arrival order, content does not. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])])
    );
  }
  return value;
}

export function docView(doc: Y.Doc): string {
  return JSON.stringify(
    canonical({
      notes: doc.getText('notes').toString(),
      meta: doc.getMap('meta').toJSON(),
      tasks: doc.getArray('tasks').toJSON(),
      outline: doc.getXmlFragment('outline').toString(),
    })
  );
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

export async function startObserver(
  url: string,
  roomIds: string[],
  secret: string | null
): Promise<Observer> {
  const minter = secret ? new TokenMinter({ secret, ttlSeconds: 600 }) : null;
  const docs = new Map<string, Y.Doc>();
  const providers: WebsocketProvider[] = [];
  const presence: ObservedPresence[] = [];
  for (const roomId of roomIds) {
    const org = roomId.split('/')[0] as string;
    const params: Record<string, string> = minter
      ? { token: (await minter.mint({ sub: 'test-observer', org, name: 'Observer' })).token }
      : {};
    const doc = new Y.Doc();
    const awareness = new Awareness(doc);
    const provider = new WebsocketProvider(url, roomId, doc, {
      awareness,
      params,
      WebSocketPolyfill,
      disableBc: true,
    });
    awareness.on('change', () => {
      for (const [clientId, state] of awareness.getStates()) {
        if (clientId === doc.clientID || !isRecord(state)) continue;
        const user = state.user;
        const cursor = state.cursor;
        if (!isRecord(user) || !isRecord(cursor)) continue;
        if (presence.length < 5000) {
          presence.push({
            name: String(user.name),
            color: String(user.color),
            x: Number(cursor.x),
            y: Number(cursor.y),
            status: String(state.status),
          });
        }
      }
    });
    docs.set(roomId, doc);
    providers.push(provider);
  }
  const deadline = Date.now() + 10_000;
  while (!providers.every((p) => p.synced)) {
    if (Date.now() > deadline) throw new Error('observer did not sync within 10 s');
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    docs,
    presence,
    view: (roomId) => docView(docs.get(roomId) ?? new Y.Doc()),
    close() {
      for (const p of providers) {
        p.awareness.destroy();
        p.destroy();
      }
      for (const d of docs.values()) d.destroy();
    },
  };
}

export interface ScenarioResult {
  result: SimResult;
  logs: string[];
  observer: Observer;
  /** Rooms whose bots (connected and synced) all matched the observer's document. */
  convergedRooms: number;
  comparedBots: number;
  /** For failure messages: what differed in rooms that did not converge. */
  mismatches: string[];
  /** Per room: content sizes the observer saw. */
  rooms: Array<{
    id: string;
    bots: number;
    textChars: number;
    tasks: number;
    metaKeys: number;
    xmlNodes: number;
  }>;
}

export async function runScenario(
  url: string,
  secret: string | null,
  overrides: Partial<SimConfig> = {}
): Promise<ScenarioResult> {
  const cfg: SimConfig = {
    urls: [url],
    rooms: 6,
    clients: 18,
    rate: 80,
    orgs: 3,
    durationMs: 5000,
    seed: 7,
    traceRatio: 0.2,
    secret,
    tokenTtlSeconds: 600,
    progressIntervalMs: 1000,
    presenceIntervalMs: 200,
    churnPerMinute: 1,
    skew: 1.1,
    roomOpsLimit: 0,
    ...overrides,
  };
  const plan = planRooms(cfg);
  const observer = await startObserver(
    url,
    plan.map((r) => r.id),
    secret
  );
  const logs: string[] = [];
  let convergedRooms = 0;
  let comparedBots = 0;
  const mismatches: string[] = [];
  try {
    const result = await runSimulation(cfg, {
      log: (l) => logs.push(l),
      beforeStop: async (bots: readonly Bot[]) => {
        // Edits have stopped; wait for every synced bot to match the observer.
        // Generous: on a loaded machine delivery can lag by seconds.
        const deadline = Date.now() + 20_000;
        for (;;) {
          const mismatched = plan.filter((room) =>
            bots.some((b) => {
              const doc = b.document;
              return (
                b.identity.roomId === room.id &&
                b.connected &&
                b.synced &&
                doc &&
                docView(doc) !== observer.view(room.id)
              );
            })
          );
          if (mismatched.length === 0 || Date.now() > deadline) {
            convergedRooms = plan.length - mismatched.length;
            for (const room of mismatched) {
              const views = bots
                .filter((b) => b.identity.roomId === room.id && b.connected && b.synced && b.document)
                .map((b) => docView(b.document as Y.Doc).length);
              mismatches.push(
                `${room.id}: observer ${observer.view(room.id).length} chars, bots ${views.join(',')}`
              );
            }
            comparedBots = bots.filter((b) => b.connected && b.synced && b.document).length;
            return;
          }
          await new Promise((r) => setTimeout(r, 100));
        }
      },
    });
    const rooms = plan.map((r) => {
      const doc = observer.docs.get(r.id) as Y.Doc;
      return {
        id: r.id,
        bots: r.bots,
        textChars: doc.getText('notes').length,
        tasks: doc.getArray('tasks').length,
        metaKeys: doc.getMap('meta').size,
        xmlNodes: doc.getXmlFragment('outline').length,
      };
    });
    return { result, logs, observer, convergedRooms, comparedBots, mismatches, rooms };
  } catch (err) {
    observer.close();
    throw err;
  }
}
