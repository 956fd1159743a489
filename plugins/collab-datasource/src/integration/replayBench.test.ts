/**
 * Opt-in bench (skipped unless COLLAB_DS_BENCH=1): a historyTree replay of N logged updates
 * (COLLAB_DS_BENCH_UPDATES, default 5,000 = INSPECT_LIMITS.maxHistorySteps) through the datasource
 * against a real pod, timed end to end (request → historyTree + treeSteps frames), three runs.
 *
 *   COLLAB_DS_BENCH=1 npx vitest run --config ../.config/vitest.config.mjs src/integration/replayBench.test.ts
 */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { filter, firstValueFrom } from 'rxjs';
import { dateTime, type DataFrame, type DataSourceInstanceSettings, LoadingState } from '@grafana/data';
import { setTemplateSrv, type TemplateSrv } from '@grafana/runtime';
import { INSPECT_LIMITS, type TreeStepsFrameCustom } from '@collabblocks/protocol';

import { startPod } from '../../../../collab-server/test/helpers/pod';
import { TEST_API_KEYS, TEST_JWT_SECRET } from '../../../../collab-server/test/helpers/jwt';
import { connectClient } from '../../../../collab-server/test/helpers/clients';
import { RunnerDriver } from '../query/runnerDriver.testutil';
import { REPLAY_TIMEOUT_MS } from '../query/historyTree';
import type { SocketLike } from '../stream/socket';
import type { CollabJsonData, CollabQuery } from '../types';

const N = Number(process.env.COLLAB_DS_BENCH_UPDATES ?? INSPECT_LIMITS.maxHistorySteps);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function clientToken(claims: Record<string, unknown>): string {
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const head = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ iat: now - 1, exp: now + 3600, ...claims })}`;
  return `${head}.${createHmac('sha256', TEST_JWT_SECRET).update(head).digest('base64url')}`;
}

describe.skipIf(!process.env.COLLAB_DS_BENCH)('historyTree replay bench (real pod)', () => {
  it(`replays ${N} updates within the replay deadline`, async () => {
    setTemplateSrv({ replace: (s?: string) => s ?? '' } as unknown as TemplateSrv);
    const pod = await startPod();
    try {
      const c = connectClient(pod.wsUrl, 'acme/bench', clientToken({ org: 'acme', sub: 'bench' }));
      await c.synced;
      const text = c.doc.getText('body');
      const map = c.doc.getMap('m');
      for (let i = 0; i < 200; i++) map.set(`seed${i}`, i);
      text.insert(0, 'x'.repeat(2000));
      await sleep(500);
      const at = Date.now();
      await sleep(20);
      // One transaction per update: text inserts, map sets and deletes in turn.
      for (let i = 0; i < N; i++) {
        if (i % 3 === 0) text.insert(i % 1000, 'ab');
        else if (i % 3 === 1) map.set(`k${i % 300}`, i);
        else map.delete(`k${(i - 1) % 300}`);
        if (i % 100 === 99) await sleep(5);
      }
      await sleep(3000); // the log is persisted asynchronously
      const through = Date.now();
      const settings = {
        id: 1,
        uid: 'bench',
        type: 'collabblocks-collab-datasource',
        name: 'Bench',
        url: '/api/datasources/proxy/uid/bench',
        access: 'proxy',
        readOnly: false,
        jsonData: { podUrls: [pod.httpUrl], tokenUrl: pod.httpUrl },
        meta: {} as DataSourceInstanceSettings['meta'],
      } as DataSourceInstanceSettings<CollabJsonData>;
      const ds = new RunnerDriver(settings, {
        orgRole: 'Editor',
        lingerMs: 0,
        socketFactory: (url) => new WebSocket(url) as unknown as SocketLike,
        tokenFetcher: async (scope) => {
          const res = await fetch(`${pod.httpUrl}/api/inspect/token/${scope}`, {
            method: 'POST',
            headers: {
              authorization: `Bearer ${TEST_API_KEYS.acmeContent.key}`,
              'content-type': 'application/json',
            },
            body: '{}',
          });
          return res.json();
        },
      });
      for (let run = 0; run < 3; run++) {
        const started = performance.now();
        const res = await firstValueFrom(
          ds
            .query({
              requestId: `bench${run}`,
              interval: '1s',
              intervalMs: 1000,
              range: { from: dateTime(at), to: dateTime(through), raw: { from: 'now-1h', to: 'now' } },
              scopedVars: {},
              timezone: 'utc',
              app: 'dashboard',
              startTime: Date.now(),
              targets: [
                {
                  refId: 'A',
                  queryType: 'historyTree',
                  room: 'acme/bench',
                  at: String(at),
                  through: String(through),
                } as CollabQuery,
              ],
            })
            .pipe(filter((r) => r.state === LoadingState.Done || r.state === LoadingState.Error))
        );
        const ms = Math.round(performance.now() - started);
        const steps = res.data[1] as DataFrame | undefined;
        const custom = steps?.meta?.custom as TreeStepsFrameCustom | undefined;
        console.log(
          `replay bench run ${run}: ${N} updates → ${custom?.steps} steps, ${steps?.length} rows ` +
            `(base ${(res.data[0] as DataFrame | undefined)?.length} nodes), truncated ${custom?.truncated}, ${ms} ms`
        );
        expect(res.state).toBe(LoadingState.Done);
        expect(custom?.steps).toBe(Math.min(N, INSPECT_LIMITS.maxHistorySteps));
        expect(custom?.truncated).toBe(N > INSPECT_LIMITS.maxHistorySteps);
        expect(ms).toBeLessThan(REPLAY_TIMEOUT_MS);
      }
      ds.dispose();
      c.destroy();
    } finally {
      await pod.cleanup();
    }
  }, 300_000);
});
