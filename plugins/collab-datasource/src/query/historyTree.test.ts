import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type DataFrame, LoadingState } from '@grafana/data';
import { setTemplateSrv, type TemplateSrv } from '@grafana/runtime';
import {
  collabFrameKind,
  FRAME_LIMITS,
  INSPECT_LIMITS,
  TREE_FIELDS,
  TREE_STEP_FIELDS,
  type HistoryTreeRequest,
  type HistoryTreeStep,
  type TreeNode,
  type TreeStepsFrameCustom,
} from '@collabblocks/protocol';

import type { RunnerDriver } from './runnerDriver.testutil';
import { makeDs, noticesOf, req, settled } from './runners.testutil';
import { startFakeInspectServer, waitUntil, type FakeServer } from '../stream/fakeInspectServer.testutil';
import { parseInstant, replayWindow } from './historyTree';
import { treeNode as node } from '../data/tree.testutil';

const BASE = [node('/m', '', { children: 1 }), node('/m/a', '/m', { type: 'value', value: 'base secret' })];

const step = (seq: number, patch: Partial<HistoryTreeStep> = {}): HistoryTreeStep => ({
  seq,
  ts: 1000 + seq,
  clientId: 3,
  added: [],
  changed: [],
  removed: [],
  ...patch,
});

type Reply = (m: Record<string, unknown>) => void;

/** The base tree in two chunks, as the pod sends it. */
function replyBase(msg: HistoryTreeRequest, reply: Reply, seq = 4, nodes: TreeNode[] = BASE): void {
  const half = Math.ceil(nodes.length / 2);
  [nodes.slice(0, half), nodes.slice(half)].forEach((chunk, i) =>
    reply({
      type: 'historyTree',
      id: msg.id,
      room: msg.room,
      at: msg.at,
      seq,
      seqTs: seq ? 900 : 0,
      chunk: i,
      last: i === 1,
      total: nodes.length,
      nodes: chunk,
    })
  );
}

/** Steps paged like the pod: `pages` messages, the last one with `last: true`. */
function replySteps(
  msg: HistoryTreeRequest,
  reply: Reply,
  pages: HistoryTreeStep[][],
  opts: { truncated?: boolean; last?: boolean } = {}
): void {
  pages.forEach((steps, i) =>
    reply({
      type: 'historyTreeSteps',
      id: msg.id,
      room: msg.room,
      at: msg.at,
      toTs: msg.toTs ?? msg.at,
      steps,
      last: opts.last !== false && i === pages.length - 1,
      truncated: (opts.truncated ?? false) && i === pages.length - 1,
    })
  );
}

/**
 * Answers every historyTree request of `server` with the base (`nodes`, default BASE, at base `seq`) and, unless
 * `pages` is null, the steps in those pages.
 */
function answerHistoryTree(
  server: FakeServer,
  pages: HistoryTreeStep[][] | null,
  opts: { seq?: number; nodes?: TreeNode[] } = {}
): void {
  server.onRequest = (_s, msg, reply) => {
    if (msg.type !== 'historyTree') return;
    replyBase(msg, reply, opts.seq, opts.nodes);
    if (pages) replySteps(msg, reply, pages);
  };
}

const REPLAY: HistoryTreeStep[][] = [
  [
    step(5, {
      added: [node('/m/b', '/m', { type: 'value', value: 'typed b' })],
      changed: [node('/m', '', { children: 2 })],
    }),
    step(6),
  ],
  [step(7, { removed: ['/m/a'], changed: [node('/m', '', { children: 1 })] })],
];

const col = (frame: DataFrame | undefined, name: string): unknown[] =>
  Array.from(frame?.fields.find((f) => f.name === name)?.values ?? []);

const requests = (s: FakeServer): HistoryTreeRequest[] =>
  s.sessions.flatMap((x) => x.received.filter((m): m is HistoryTreeRequest => m.type === 'historyTree'));

describe('historyTree with a replay (fake inspect server)', () => {
  let server: FakeServer;
  let ds: RunnerDriver | null = null;
  beforeEach(async () => {
    server = await startFakeInspectServer();
    setTemplateSrv({
      replace: (s?: string) => (s ?? '').replace('$room', 'acme/a').replace('$__to', '3600000'),
    } as unknown as TemplateSrv);
  });
  afterEach(async () => {
    ds?.dispose();
    ds = null;
    await server.close();
  });

  it('sends toTs, collects base chunks and paged steps into a historyTree and a treeSteps frame', async () => {
    answerHistoryTree(server, REPLAY);
    ds = makeDs([server.url], { orgRole: 'Editor' });
    const res = await settled(
      ds.query(req([{ queryType: 'historyTree', room: '$room', at: '1000', through: '$__to' }]))
    );
    expect(res.errors ?? []).toEqual([]);
    expect(res.state).toBe(LoadingState.Done);
    const [sent] = requests(server);
    expect(sent).toMatchObject({ type: 'historyTree', room: 'acme/a', at: 1000, toTs: 3_600_000 });
    expect(sent?.maxSteps).toBeUndefined();
    const [base, steps] = res.data as DataFrame[];
    expect(res.data).toHaveLength(2);
    expect(collabFrameKind(base?.meta)).toBe('historyTree');
    expect(col(base, TREE_FIELDS.path)).toEqual(['/m', '/m/a']);
    expect(base?.meta?.custom).toMatchObject({ ts: 1000, seq: 4 });
    expect(collabFrameKind(steps?.meta)).toBe('treeSteps');
    expect(steps?.refId).toBe('A');
    expect(col(steps, TREE_STEP_FIELDS.seq)).toEqual([5, 5, 6, 7, 7]);
    expect(col(steps, TREE_STEP_FIELDS.op)).toEqual(['added', 'changed', 'none', 'removed', 'changed']);
    expect(col(steps, TREE_STEP_FIELDS.path)).toEqual(['/m/b', '/m', '', '/m/a', '/m']);
    expect(col(steps, TREE_STEP_FIELDS.value)[0]).toBe('typed b'); // Editor → content scope
    expect(steps?.meta?.custom as TreeStepsFrameCustom).toMatchObject({
      collabFrame: 'treeSteps',
      room: 'acme/a',
      pod: `fake-${new URL(server.url).port}`,
      from: 1000,
      to: 3_600_000,
      steps: 3,
      truncated: false,
      scope: 'content',
    });
  });

  it('through empty: the old request and answer (ends at the last chunk, one frame)', async () => {
    answerHistoryTree(server, null);
    // A one-shot deadline far beyond the test's timeout: the answer must end at its last chunk (asserted
    // on the event, not on a wall-clock bound that a shared machine stretches).
    ds = makeDs([server.url], { oneShotTimeoutMs: 600_000 });
    const res = await settled(
      ds.query(req([{ queryType: 'historyTree', room: 'acme/a', at: '1000', through: ' ' }]))
    );
    expect(res.errors ?? []).toEqual([]);
    expect(res.data).toHaveLength(1);
    expect(collabFrameKind((res.data[0] as DataFrame).meta)).toBe('historyTree');
    expect(col(res.data[0], TREE_FIELDS.value)).toEqual(['', '']); // Viewer → metadata: no values
    expect(requests(server)[0]).not.toHaveProperty('toTs');
    // Empty "at" without a replay: the end of the range, as before.
    await settled(ds.query(req([{ queryType: 'historyTree', room: 'acme/a' }])));
    expect(requests(server)[1]?.at).toBe(3_600_000);
  });

  it('a pod that never finishes the replay fails at the replay deadline; a silent pod at the one-shot deadline', async () => {
    let silent = false;
    server.onRequest = (_s, msg, reply) => {
      if (msg.type !== 'historyTree' || silent) return;
      replyBase(msg, reply);
      replySteps(msg, reply, REPLAY, { last: false }); // never a last message
    };
    // Both deadlines at 600 ms: whether a loaded machine delivers the base within a shorter first-answer budget is
    // not this test's question (which deadline fires when is tested on a fake clock in oneShot.test.ts).
    ds = makeDs([server.url], { oneShotTimeoutMs: 600, replayTimeoutMs: 600 });
    const started = Date.now();
    const stalled = await settled(
      ds.query(req([{ queryType: 'historyTree', room: 'acme/a', at: '1000', through: '2000' }]))
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(590);
    expect(stalled.state).toBe(LoadingState.Error);
    expect(stalled.errors?.[0]?.message).toMatch(/answer incomplete after 600 ms \(4 messages received\)/);
    silent = true;
    ds.dispose();
    ds = makeDs([server.url], { oneShotTimeoutMs: 150, replayTimeoutMs: 600 });
    const none = await settled(
      ds.query(req([{ queryType: 'historyTree', room: 'acme/a', at: '1000', through: '2000' }]))
    );
    // The one-shot deadline fired (its own message), not the replay deadline.
    expect(none.errors?.[0]?.message).toMatch(/no answer within 150 ms/);
    await waitUntil(() => server.open() === 0, 2000, 'socket released');
  });

  it('a pod error ends the query with the pod named', async () => {
    server.onRequest = (_s, msg, reply) => {
      if (msg.type !== 'historyTree') return;
      replyBase(msg, reply);
      reply({ type: 'error', id: msg.id, code: 'storage_error', message: 'log read failed', fatal: false });
    };
    ds = makeDs([server.url]);
    const res = await settled(
      ds.query(req([{ queryType: 'historyTree', room: 'acme/a', at: '1000', through: '2000' }]))
    );
    expect(res.state).toBe(LoadingState.Error);
    expect(res.errors?.[0]?.message).toMatch(/fake-\d+: log read failed \(storage_error\)/);
  });

  it('clamps through to at and to 24 h, with notices; a bad "through" is a clear error', async () => {
    answerHistoryTree(server, [[]]);
    ds = makeDs([server.url]);
    const before = await settled(
      ds.query(req([{ queryType: 'historyTree', room: 'acme/a', at: '5000', through: '10' }]))
    );
    expect(requests(server)[0]).toMatchObject({ at: 5000, toTs: 5000 });
    expect(before.state).toBe(LoadingState.Done);
    // Clamping is a warning notice on the frame, never an error.
    expect(before.errors).toBeUndefined();
    expect(noticesOf(before)).toEqual([
      { severity: 'warning', text: expect.stringMatching(/"through" is before "at"/) as unknown as string },
    ]);
    const steps = before.data[1] as DataFrame;
    expect(steps.length).toBe(0);
    expect(steps.meta?.custom).toMatchObject({ from: 5000, to: 5000, steps: 0, truncated: false });
    const wide = await settled(
      ds.query(req([{ queryType: 'historyTree', room: 'acme/a', at: '0', through: String(3 * 86_400_000) }]))
    );
    expect(requests(server)[1]).toMatchObject({ at: 0, toTs: INSPECT_LIMITS.maxHistorySpanMs });
    expect(wide.errors).toBeUndefined();
    expect(noticesOf(wide)[0]?.text).toMatch(/wider than 24 h/);
    const bad = await settled(
      ds.query(req([{ queryType: 'historyTree', room: 'acme/a', at: '0', through: 'next tuesday' }]))
    );
    expect(bad.errors?.[0]?.message).toMatch(/"through" must be an ISO time or epoch milliseconds/);
    expect(requests(server)).toHaveLength(2);
  });

  it('stops reading at the row cap and says so; a pod-side truncation is a notice too', async () => {
    let truncatedByPod = false;
    server.onRequest = (_s, msg, reply) => {
      if (msg.type !== 'historyTree') return;
      replyBase(msg, reply);
      if (truncatedByPod) {
        replySteps(msg, reply, REPLAY, { truncated: true });
        return;
      }
      // 2,000 one-node steps per message, more than the row cap in total, never a last message:
      // the datasource must stop on its own once the cap is exceeded.
      const pages = Array.from({ length: 6 }, (_, p) =>
        Array.from({ length: 2000 }, (_, i) =>
          step(p * 2000 + i + 1, { changed: [node('/m', '', { size: p * 2000 + i })] })
        )
      );
      replySteps(msg, reply, pages, { last: false });
    };
    // A replay deadline far beyond the test's timeout: the query ends because the cap is exceeded (state
    // Done, not the deadline's error), asserted on the event rather than a wall-clock bound.
    ds = makeDs([server.url], { replayTimeoutMs: 600_000 });
    const res = await settled(
      ds.query(req([{ queryType: 'historyTree', room: 'acme/a', at: '0', through: '3600000' }]))
    );
    expect(res.state).toBe(LoadingState.Done);
    const steps = res.data[1] as DataFrame;
    expect(steps.length).toBe(FRAME_LIMITS.maxRows);
    const custom = steps.meta?.custom as TreeStepsFrameCustom;
    expect(custom).toMatchObject({
      steps: FRAME_LIMITS.maxRows,
      truncated: true,
      to: 1000 + FRAME_LIMITS.maxRows,
    });
    expect(res.errors).toBeUndefined();
    expect(noticesOf(res)).toEqual([
      {
        severity: 'warning',
        text: expect.stringMatching(
          /tree steps: more than 12000 rows, only the first 10000 updates/
        ) as unknown as string,
      },
    ]);

    truncatedByPod = true;
    const pod = await settled(
      ds.query(req([{ queryType: 'historyTree', room: 'acme/a', at: '0', through: '3600000' }]))
    );
    expect((pod.data[1] as DataFrame).meta?.custom).toMatchObject({ steps: 3, truncated: true, to: 1007 });
    expect(pod.errors).toBeUndefined();
    expect(noticesOf(pod)[0]).toMatchObject({ severity: 'warning' });
    expect(noticesOf(pod)[0]?.text).toMatch(/only the first 3 are replayed/);
  });
});

describe('historyTree of a subtree (rootPath / maxDepth)', () => {
  let server: FakeServer;
  let ds: RunnerDriver | null = null;
  beforeEach(async () => {
    server = await startFakeInspectServer();
    setTemplateSrv({
      replace: (s?: string) => (s ?? '').replace('$node', '/m').replace('$depth', '0'),
    } as unknown as TemplateSrv);
  });
  afterEach(async () => {
    ds?.dispose();
    ds = null;
    await server.close();
  });

  it('keeps the subtree down to the depth in the base and the steps; paths absolute; meta records it', async () => {
    answerHistoryTree(server, REPLAY, { nodes: [...BASE, node('/t', '', { type: 'Text' })] });
    ds = makeDs([server.url]);
    const res = await settled(
      ds.query(
        req([
          {
            queryType: 'historyTree',
            room: 'acme/a',
            at: '1000',
            through: '2000',
            rootPath: '$node',
            maxDepth: '$depth' as unknown as number,
          },
        ])
      )
    );
    expect(res.errors ?? []).toEqual([]);
    expect(noticesOf(res)).toEqual([]);
    const [base, steps] = res.data as DataFrame[];
    expect(col(base, TREE_FIELDS.path)).toEqual(['/m']);
    expect(col(base, TREE_FIELDS.parentPath)).toEqual(['']);
    expect(base?.meta?.custom).toMatchObject({ rootPath: '/m', maxDepth: 0, rootFound: true, total: 1 });
    // Step 5 adds /m/b (below the depth: dropped) and changes /m; step 6 changed nothing; step 7 removes /m/a.
    expect(col(steps, TREE_STEP_FIELDS.seq)).toEqual([5, 7]);
    expect(col(steps, TREE_STEP_FIELDS.op)).toEqual(['changed', 'changed']);
    expect(steps?.meta?.custom).toMatchObject({ rootPath: '/m', maxDepth: 0, steps: 2, truncated: false });
  });

  it('a root path that does not exist at the instant: empty frame, an info notice, no error', async () => {
    answerHistoryTree(server, [[step(5, { added: [node('/later', ''), node('/later/k', '/later')] })]]);
    ds = makeDs([server.url]);
    const res = await settled(
      ds.query(
        req([{ queryType: 'historyTree', room: 'acme/a', at: '1000', through: '2000', rootPath: '/later' }])
      )
    );
    expect(res.state).toBe(LoadingState.Done);
    expect(res.errors).toBeUndefined();
    const [base, steps] = res.data as DataFrame[];
    expect(base?.length).toBe(0);
    expect(base?.meta?.custom).toMatchObject({ rootPath: '/later', rootFound: false });
    expect(noticesOf(res)).toEqual([
      {
        severity: 'info',
        text: 'history tree: no node at "/later" at 1970-01-01T00:00:01.000Z — the steps show it if it was created later in the range; check the root path',
      },
    ]);
    // Created later in the range: the steps add it.
    expect(col(steps, TREE_STEP_FIELDS.path)).toEqual(['/later', '/later/k']);
  });

  it('the row cap applies after the selection: steps outside the subtree do not use it up', async () => {
    // 12,000 steps elsewhere in the document, then one in /m.
    const pages = Array.from({ length: 6 }, (_, p) =>
      Array.from({ length: 2000 }, (_, i) =>
        step(p * 2000 + i + 5, { changed: [node('/other', '', { size: i })] })
      )
    );
    pages.push([step(20_000, { changed: [node('/m', '', { children: 3 })] })]);
    answerHistoryTree(server, pages);
    ds = makeDs([server.url], { replayTimeoutMs: 10_000 });
    const res = await settled(
      ds.query(
        req([{ queryType: 'historyTree', room: 'acme/a', at: '0', through: '3600000', rootPath: '/m' }])
      )
    );
    expect(res.errors).toBeUndefined();
    expect(noticesOf(res)).toEqual([]);
    const steps = res.data[1] as DataFrame;
    expect(col(steps, TREE_STEP_FIELDS.seq)).toEqual([20_000]);
    expect(steps.meta?.custom).toMatchObject({ steps: 1, truncated: false, to: 3_600_000 });
  });

  it('a malformed root path or depth is a clear error and asks the pod nothing', async () => {
    ds = makeDs([server.url]);
    const bad = await settled(ds.query(req([{ queryType: 'historyTree', room: 'acme/a', rootPath: 'm/a' }])));
    expect(bad.state).toBe(LoadingState.Error);
    expect(bad.errors?.[0]?.message).toBe(
      'root path "m/a" must start with "/" (a tree path such as /root/items/3)'
    );
    const depth = await settled(ds.query(req([{ queryType: 'tree', room: 'acme/a', maxDepth: -2 }])));
    expect(depth.errors?.[0]?.message).toMatch(/max depth must be a whole number from 0 to 1000, got "-2"/);
    expect(requests(server)).toHaveLength(0);
  });
});

describe('historyTree with a replay across pods', () => {
  const servers: FakeServer[] = [];
  let ds: RunnerDriver | null = null;
  afterEach(async () => {
    ds?.dispose();
    ds = null;
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  it('picks the most complete answer: highest base seq, then most steps', async () => {
    const answers: Array<{ seq: number; pages: HistoryTreeStep[][] }> = [
      { seq: 4, pages: REPLAY },
      { seq: 4, pages: [...REPLAY, [step(8)]] }, // same base, one more step: this one
      { seq: 3, pages: [...REPLAY, [step(8), step(9)]] }, // older base: never, however many steps
    ];
    for (const a of answers) {
      const s = await startFakeInspectServer();
      answerHistoryTree(s, a.pages, { seq: a.seq });
      servers.push(s);
    }
    ds = makeDs(servers.map((s) => s.url));
    const res = await settled(
      ds.query(req([{ queryType: 'historyTree', room: 'acme/a', at: '1000', through: '2000' }]))
    );
    expect(res.errors ?? []).toEqual([]);
    const steps = res.data[1] as DataFrame;
    expect((steps.meta?.custom as TreeStepsFrameCustom).pod).toBe(`fake-${new URL(servers[1]!.url).port}`);
    expect(col(steps, TREE_STEP_FIELDS.seq).at(-1)).toBe(8);
    expect((res.data[0] as DataFrame).meta?.custom).toMatchObject({ seq: 4 });
  });
});

describe('replay window', () => {
  const ctx = { fromMs: 10_000, toMs: 50_000 };
  it('empty "at" is the range end without a replay, the range start with one', () => {
    expect(replayWindow({ ...ctx, at: '', through: '' })).toEqual({
      at: 50_000,
      toTs: undefined,
      notices: [],
    });
    expect(replayWindow({ ...ctx, at: '', through: '40000' })).toEqual({
      at: 10_000,
      toTs: 40_000,
      notices: [],
    });
    expect(replayWindow({ ...ctx, at: '20000', through: '1970-01-01T00:00:30Z' }).toTs).toBe(30_000);
    expect(parseInstant('  ', 7, 'through')).toBe(7);
    expect(() => parseInstant('soon', 7, 'through')).toThrow(/"through" must be/);
    expect(() => parseInstant('9'.repeat(400), 7, 'through')).toThrow(/"through" must be/);
  });
});
