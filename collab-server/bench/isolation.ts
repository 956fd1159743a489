/**
 * Isolation bench (issue 16 items 1 and 2): `npx tsx bench/isolation.ts [--frames 8000] [--readers 150] [--doc-mib 8]`
 *
 * 1. Case 1, the quadratic client-id attack: `--frames` concurrent-insert updates, each from a new
 *    client id, sent at full force from one connection, while a sync round trip (a stock client's
 *    update until a second client has it) in another org's room is pinged every 20 ms. Printed: the
 *    ping's p50 / p99 on the quiet pod and under attack, and how the attacker ended, with the
 *    budgets on (defaults), with only the CPU budgets and slicing (the new-client-id cap lifted),
 *    and off (`COLLAB_BUDGETS=false`, the new-client-id cap with them).
 * 2. Case 2, memory amplification: `--readers` clients that send a 1-byte state vector for a
 *    `--doc-mib` document and never read. Printed: the pod's RSS growth (VmRSS) and how many were
 *    refused with 4508, with the queued-bytes budget on (64 MiB) and off (`COLLAB_MAX_QUEUED_BYTES=0`).
 *
 * Each configuration runs on a fresh pod process on 127.0.0.1; the attack phase is bounded (20 s).
 * Figures depend on the machine: the load average is printed with them.
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { CloseCode } from '@collabblocks/protocol';
import {
  describeAttack,
  openNeverReaders,
  pingUnderAttack,
  podRssBytes,
  quantile,
} from '../test/helpers/attacks.js';
import { connectClient, sleep, waitFor } from '../test/helpers/clients.js';
import { mintToken } from '../test/helpers/jwt.js';
import { startPod } from '../test/helpers/pod.js';

const MiB = 1024 * 1024;

const { values } = parseArgs({
  options: {
    frames: { type: 'string', default: '8000' },
    readers: { type: 'string', default: '150' },
    'doc-mib': { type: 'string', default: '8' },
  },
});
const frames = Math.min(50_000, Math.max(100, Number(values.frames)));
const readers = Math.min(1000, Math.max(1, Number(values.readers)));
const docMiB = Math.min(64, Math.max(1, Number(values['doc-mib'])));

function load(): string {
  return os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}

async function caseOne(label: string, env: Record<string, string>): Promise<void> {
  const pod = await startPod({ env });
  try {
    const r = await pingUnderAttack(pod, { frames, pingEveryMs: 20, pingTimeoutMs: 2000, windowMs: 20_000 });
    console.log(`  ${label.padEnd(12)} ${describeAttack(r)}`);
    console.log(
      `  ${''.padEnd(12)} p99 added by the attack: ${(quantile(r.underAttack, 0.99) - quantile(r.baseline, 0.99)).toFixed(1)} ms (target <= 50)`
    );
  } finally {
    await pod.cleanup();
  }
}

async function caseTwo(label: string, env: Record<string, string>): Promise<void> {
  const pod = await startPod({ env });
  try {
    const room = 'acme/big';
    const token = await mintToken({ org: 'acme', sub: 'bench' });
    const writer = connectClient(pod.wsUrl, room, token);
    const observer = connectClient(pod.wsUrl, room, token);
    await Promise.all([writer.synced, observer.synced]);
    const chunk = 'x'.repeat(MiB);
    for (let i = 0; i < docMiB; i++) writer.doc.getText('big').insert(0, chunk);
    await waitFor(() => observer.doc.getText('big').length === docMiB * MiB, 60_000, 'document written');
    const pid = pod.proc.pid as number;
    const base = podRssBytes(pid);
    let peak = base;
    const sampler = setInterval(() => {
      peak = Math.max(peak, podRssBytes(pid));
    }, 100);
    const t0 = performance.now();
    const list = await openNeverReaders(`${pod.wsUrl}/${room}?token=${token}`, readers);
    await sleep(2000);
    clearInterval(sampler);
    peak = Math.max(peak, podRssBytes(pid));
    const ends = await Promise.all(
      list.map(async (r) => {
        if (!r.ws) return 1006;
        r.ws.resume();
        const code = await Promise.race([r.closed, sleep(3000).then(() => 0)]);
        r.ws.terminate();
        return code;
      })
    );
    writer.destroy();
    observer.destroy();
    const refused = ends.filter((c) => c === CloseCode.POD_OVERLOADED).length;
    console.log(
      `  ${label.padEnd(12)} RSS ${(base / MiB).toFixed(0)} → peak ${(peak / MiB).toFixed(0)} MiB ` +
        `(+${((peak - base) / MiB).toFixed(0)} MiB in ${((performance.now() - t0) / 1000).toFixed(1)} s); ` +
        `${readers - refused} served, ${refused} refused 4508`
    );
  } finally {
    await pod.cleanup();
  }
}

async function main(): Promise<void> {
  console.log(`isolation bench — load average ${load()}, ${os.cpus().length} cores`);
  console.log(
    `case 1: ${frames} concurrent-insert frames from one connection; ping = sync round trip in another org`
  );
  await caseOne('budgets on', {});
  await caseOne('CPU only', { COLLAB_MAX_NEW_CLIENT_IDS: '1000000' });
  await caseOne('budgets off', { COLLAB_BUDGETS: 'false' });
  console.log(
    `case 2: ${readers} never-reading clients, 1-byte state vector, ${docMiB} MiB document ` +
      '(the shared full-state reply is always on; "budget off" is COLLAB_MAX_QUEUED_BYTES=0)'
  );
  await caseTwo('budget 64M', { COLLAB_MAX_QUEUED_BYTES: String(64 * MiB) });
  await caseTwo('budget 4M', { COLLAB_MAX_QUEUED_BYTES: String(4 * MiB) });
  await caseTwo('budget off', { COLLAB_MAX_QUEUED_BYTES: '0' });
  console.log(`load average at the end ${load()}`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  }
);
