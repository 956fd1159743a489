import { NEVER } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';

import { startFakeInspectServer, waitUntil, type FakeServer } from '../stream/fakeInspectServer.testutil';
import { PodConnection } from '../stream/podConnection';
import type { SocketFactory, SocketLike } from '../stream/socket';
import type { StreamRequest } from '../stream/types';
import type { RunContext } from './context';
import { prepareRun, QUERY_RUNNERS } from './runners';

/** A pod connection that records the subscriptions a runner asks for. */
function recordingConn(): { conn: PodConnection; reqs: StreamRequest[] } {
  const reqs: StreamRequest[] = [];
  const conn = {
    url: 'http://pod:1',
    podName: 'pod',
    stream: (r: StreamRequest) => {
      reqs.push(r);
      return NEVER;
    },
  } as unknown as PodConnection;
  return { conn, reqs };
}

function ctxOf(conn: PodConnection): RunContext {
  return {
    refId: 'A',
    key: 'k',
    room: 'acme/app',
    pod: '',
    conns: [conn],
    scope: () => 'metadata',
    fromMs: 0,
    toMs: 1,
    gridSize: 20,
    at: '',
    through: '',
    filter: '',
    rootPath: '',
    maxDepth: undefined,
    timeoutMs: 1000,
    replayTimeoutMs: 1000,
    throttleMs: 0,
    heatmapMeasure: 'edits',
    heatmapBucketMs: 1000,
  };
}

const FIELDS = { anchor: 'me.sel.from', head: 'me.sel.to', name: 'who.label' };

describe('presenceFields: from the query model to the presence subscription', () => {
  it('presence, presenceHeatmap and documentHeatmap send the paths; other kinds and empty paths do not', () => {
    for (const kind of ['presence', 'presenceHeatmap', 'documentHeatmap'] as const) {
      const { conn, reqs } = recordingConn();
      const ctx = ctxOf(conn);
      expect(
        prepareRun(QUERY_RUNNERS[kind], ctx, { rootPath: '', maxDepth: undefined, presenceFields: FIELDS })
      ).toBeNull();
      const sub = QUERY_RUNNERS[kind].run(ctx).subscribe();
      expect(
        reqs.find((r) => r.stream === 'presence'),
        kind
      ).toEqual({
        stream: 'presence',
        room: 'acme/app',
        presence: { fields: FIELDS },
      });
      // documentHeatmap of edits also reads the updates stream: no presence options there.
      for (const r of reqs.filter((x) => x.stream !== 'presence')) expect(r.presence).toBeUndefined();
      sub.unsubscribe();
    }
    const { conn, reqs } = recordingConn();
    const ctx = ctxOf(conn);
    expect(
      prepareRun(QUERY_RUNNERS.presence, ctx, {
        rootPath: '',
        maxDepth: undefined,
        presenceFields: { head: '', x: '' },
      })
    ).toBeNull();
    QUERY_RUNNERS.presence.run(ctx).subscribe().unsubscribe();
    expect(reqs).toEqual([{ stream: 'presence', room: 'acme/app' }]);
  });

  it('bad paths are the query error, named', () => {
    const { conn } = recordingConn();
    expect(
      prepareRun(QUERY_RUNNERS.presence, ctxOf(conn), {
        rootPath: '',
        maxDepth: undefined,
        presenceFields: { head: 'a.b.c.d.e.f.g.h.i' },
      })
    ).toBe('presenceFields.head: a dotted field path (at most 8 segments)');
    expect(
      prepareRun(QUERY_RUNNERS.presence, ctxOf(conn), {
        rootPath: '',
        maxDepth: undefined,
        presenceFields: { x: 'pointer.x' },
      })
    ).toBe('presenceFields.y: x and y go together');
  });
});

describe('presenceFields on the wire (real ws server)', () => {
  let server: FakeServer | null = null;
  let conn: PodConnection | null = null;
  afterEach(async () => {
    conn?.dispose();
    conn = null;
    await server?.close();
    server = null;
  });

  it('the subscribe message carries presence.fields', async () => {
    server = await startFakeInspectServer();
    const factory: SocketFactory = (url) => new WebSocket(url) as unknown as SocketLike;
    conn = new PodConnection({
      url: server.url,
      tokens: async () => ({ token: 't', expiresAt: Date.now() + 60_000, scope: 'metadata' }),
      socketFactory: factory,
      lingerMs: 0,
    });
    const sub = conn
      .stream({ stream: 'presence', room: 'acme/app', presence: { fields: FIELDS } })
      .subscribe();
    const s = server;
    await waitUntil(
      () => s.sessions[0]?.received.some((m) => m.type === 'subscribe') === true,
      5000,
      'subscribe'
    );
    expect(s.sessions[0]?.received.find((m) => m.type === 'subscribe')).toMatchObject({
      stream: 'presence',
      room: 'acme/app',
      presence: { fields: FIELDS },
    });
    sub.unsubscribe();
  });
});
