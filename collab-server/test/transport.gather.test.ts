/**
 * Frames sent to one connection in the same event-loop turn leave the corked socket together
 * (one write), and the slow-consumer bound only counts what was queued before the turn.
 */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { CloseCode } from '@collabblocks/protocol';
import { HookBus } from '../src/hooks/index.js';
import { ClientConnection, type Corkable } from '../src/transport/connection.js';
import { createLogger } from '../src/observability/logger.js';
import { OutboundBudget } from '../src/transport/outbound.js';
import { FrameScheduler } from '../src/transport/scheduler.js';

class FakeSocket implements Corkable {
  corks = 0;
  uncorks = 0;
  get corked(): boolean {
    return this.corks > this.uncorks;
  }
  cork(): void {
    this.corks += 1;
  }
  uncork(): void {
    this.uncorks += 1;
  }
}

class FakeWs extends EventEmitter {
  readyState: number = WebSocket.OPEN;
  bufferedAmount = 0;
  sent: Array<{ bytes: number; corked: boolean }> = [];
  closed: Array<{ code: number; reason: string }> = [];
  constructor(private readonly socket: FakeSocket) {
    super();
  }
  send(frame: Uint8Array): void {
    this.sent.push({ bytes: frame.byteLength, corked: this.socket.corked });
    // Corked data waits in the socket's buffer, as with a real net.Socket.
    this.bufferedAmount += frame.byteLength + 2;
  }
  close(code: number, reason: string): void {
    this.closed.push({ code, reason });
  }
  terminate(): void {}
}

function setup(maxBufferedBytes = 1000) {
  const socket = new FakeSocket();
  const ws = new FakeWs(socket);
  const conn = new ClientConnection(
    'c1',
    ws as unknown as WebSocket,
    '127.0.0.1',
    {
      hooks: new HookBus(createLogger({ level: 'silent' })),
      logger: createLogger({ level: 'silent' }),
      maxBufferedBytes,
      pingIntervalMs: 30_000,
      maxQueuedFrames: 16,
      maxQueuedBytes: 1 << 20,
      onUnknownMessage: () => undefined,
      scheduler: new FrameScheduler({
        enabled: true,
        turnSliceMs: 5,
        connCpuMsPerSec: 200,
        connCpuBurstMs: 1000,
        connThrottleCloseMs: 10_000,
        roomCpuMsPerSec: 500,
        roomCpuBurstMs: 5000,
      }),
      outbound: new OutboundBudget(0),
    },
    socket
  );
  return { socket, ws, conn };
}

const nextTurn = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('ClientConnection gathers one turn of frames', () => {
  it('corks once per turn and releases after the turn', async () => {
    const { socket, ws, conn } = setup();
    for (let i = 0; i < 5; i++) conn.send(new Uint8Array(10));
    expect(ws.sent).toHaveLength(5);
    expect(ws.sent.every((s) => s.corked)).toBe(true);
    expect(socket.corks).toBe(1);
    expect(socket.uncorks).toBe(0);
    await nextTurn();
    expect(socket.uncorks).toBe(1);
    conn.send(new Uint8Array(10));
    expect(socket.corks).toBe(2);
    await nextTurn();
    expect(socket.uncorks).toBe(2);
  });

  it("does not count this turn's frames as a slow consumer, but does count earlier ones", async () => {
    const { ws, conn } = setup(1000);
    // 20 × 200 bytes in one turn: far above the bound, all still in the corked socket.
    for (let i = 0; i < 20; i++) conn.send(new Uint8Array(200));
    expect(ws.closed).toEqual([]);
    expect(ws.sent).toHaveLength(20);
    await nextTurn();
    // Next turn: the peer has not read any of it, so the backlog now counts.
    conn.send(new Uint8Array(200));
    expect(ws.closed.map((c) => c.code)).toEqual([CloseCode.SLOW_CONSUMER]);
  });
});
