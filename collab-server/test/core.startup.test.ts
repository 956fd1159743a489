/**
 * A clean start: a pod that starts, serves one edit and stops logs nothing at
 * warn level or above (issue 16 item 10: every start used to log "storage stats
 * refresh failed: sqlite storage is not initialised", the first storage-size
 * refresh running before the storage was opened).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { connectClient, waitFor } from './helpers/clients.js';
import { mintToken } from './helpers/jwt.js';
import { startPod, type PodProcess } from './helpers/pod.js';

describe('pod start', () => {
  let pod: PodProcess | undefined;
  afterAll(async () => {
    await pod?.cleanup();
  });

  it('logs no warning or error from start to a clean stop', async () => {
    pod = await startPod();
    const started = pod;
    const loud = (): Array<Record<string, unknown>> =>
      started.logs().filter((l) => ['warn', 'error', 'fatal'].includes(String(l.level)));
    // The first storage-size refresh has run once the storage gauge has an age (or it failed, loudly).
    await waitFor(
      async () => {
        if (loud().length > 0) return true;
        const res = await fetch(`${started.httpUrl}/metrics`);
        const body = await res.text();
        return /^collab_storage_stats_age_seconds(\{[^}]*\})? \d/m.test(body);
      },
      10_000,
      'first storage stats refresh'
    );
    expect(loud().map((l) => `${String(l.msg)}: ${String(l.err ?? '')}`)).toEqual([]);
    const a = connectClient(started.wsUrl, 'acme/start', await mintToken({ org: 'acme' }));
    await a.synced;
    a.doc.getText('t').insert(0, 'hello');
    const b = connectClient(started.wsUrl, 'acme/start', await mintToken({ org: 'acme' }));
    await waitFor(() => b.doc.getText('t').toString() === 'hello', 5000, 'edit served');
    a.destroy();
    b.destroy();
    const exit = await started.stop();
    expect(exit.code).toBe(0);
    const logs = started.logs();
    expect(logs.some((l) => l.msg === 'collab pod listening')).toBe(true);
    expect(loud().map((l) => `${String(l.msg)}: ${String(l.err ?? '')}`)).toEqual([]);
  });
});
