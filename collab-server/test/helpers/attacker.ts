/**
 * Child process for case 1 of issue 16 (`pingUnderAttack` in `attacks.ts`): builds the frames,
 * joins the room, and once told to, sends them all at once from one connection; reports the close
 * code. A separate process, so the measuring process's clients never wait for the attacker's
 * frame building and sending.
 *
 *   parent → { url, frames }            child → { type: 'ready' }
 *   parent → { type: 'go' }             child → { type: 'closed', code }
 */
import WebSocket from 'ws';
import { concurrentInsertFrames } from './attacks.js';

interface Init {
  url: string;
  frames: number;
}

const send = (m: unknown): void => {
  process.send?.(m);
};

process.once('message', (init: Init) => {
  const frames = concurrentInsertFrames(init.frames);
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
      for (const f of frames) ws.send(f);
    });
  });
});
process.on('disconnect', () => process.exit(0));
