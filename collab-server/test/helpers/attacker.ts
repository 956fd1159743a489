/**
 * Child process for case 1 of issue 16 (`pingUnderAttack` in `attacks.ts`): builds the frames,
 * joins the room, and once told to, sends them all at once from one connection; reports the close
 * code. A separate process, so the measuring process's clients never wait for the attacker's
 * frame building, and one pre-built write, so the attacker's own CPU does not compete with the pod
 * on a small machine.
 *
 *   parent → { url, frames }            child → { type: 'ready' }
 *   parent → { type: 'go' }             child → { type: 'closed', code }
 */
import type net from 'node:net';
import WebSocket from 'ws';
import { concurrentInsertFrames } from './attacks.js';

/**
 * The frames as client WebSocket frames (binary, masked with the all-zero key, which RFC 6455
 * allows), concatenated: sent with one write, so sending costs this process next to nothing while
 * the pod is measured.
 */
function wireFrames(payloads: Uint8Array[]): Buffer {
  const parts: Buffer[] = [];
  for (const p of payloads) {
    if (p.byteLength >= 126) throw new Error('attack frames are small');
    parts.push(Buffer.from([0x82, 0x80 | p.byteLength, 0, 0, 0, 0]), Buffer.from(p));
  }
  return Buffer.concat(parts);
}

interface Init {
  url: string;
  frames: number;
}

const send = (m: unknown): void => {
  process.send?.(m);
};

process.once('message', (init: Init) => {
  const wire = wireFrames(concurrentInsertFrames(init.frames));
  const ws = new WebSocket(init.url, { perMessageDeflate: false });
  ws.once('close', (code) => {
    send({ type: 'closed', code });
    setTimeout(() => process.exit(0), 50);
  });
  ws.once('error', () => undefined);
  // Joined once the pod's sync step 1 arrives.
  ws.once('message', () => {
    send({ type: 'ready' });
    process.once('message', () => {
      (ws as unknown as { _socket: net.Socket })._socket.write(wire);
    });
  });
});
process.on('disconnect', () => process.exit(0));
