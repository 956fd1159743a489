import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { firstValueFrom, filter } from 'rxjs';
import { type DataFrame, type DataQueryResponse, LoadingState } from '@grafana/data';
import { setTemplateSrv, type TemplateSrv } from '@grafana/runtime';
import { FRAME_LIMITS, UPDATES_FIELDS } from '@collabblocks/protocol';

import { podUrlsOf } from '../settings';
import { startFakeInspectServer, waitUntil, type FakeServer } from '../stream/fakeInspectServer.testutil';
import type { CollabJsonData, CollabQuery } from '../types';
import { treeNode } from '../data/tree.testutil';
import { historyPage } from './historyScan.testutil';
import type { RunnerDriver } from './runnerDriver.testutil';
import { makeDs, noticesOf, req, settled } from './runners.testutil';

describe('the runner table on a pod pool (fake inspect server; what the backend runs)', () => {
  let server: FakeServer;
  let ds: RunnerDriver | null = null;
  beforeEach(async () => {
    server = await startFakeInspectServer();
    setTemplateSrv({
      replace: (s?: string) => (s ?? '').replace('$room', 'acme/a'),
    } as unknown as TemplateSrv);
  });
  afterEach(async () => {
    ds?.dispose();
    ds = null;
    await server.close();
  });

  it('one-shot queries time out with an error naming the pod (default 5 s)', async () => {
    expect(FRAME_LIMITS.oneShotTimeoutMs).toBe(5000);
    server.onRequest = () => undefined; // never answers
    ds = makeDs([server.url], { oneShotTimeoutMs: 300 });
    const started = Date.now();
    const res = await settled(ds.query(req([{ queryType: 'historyTree', room: '$room', at: '1000' }])));
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(res.state).toBe(LoadingState.Error);
    expect(res.errors?.[0]?.message).toMatch(/no answer within 300 ms/);
    expect(res.errors?.[0]?.refId).toBe('A');
    await waitUntil(() => server.open() === 0, 2000, 'socket released after the one-shot');
  });

  /**
   * Paging 25,000–30,000 entries through a socket is seconds of CPU on a loaded machine: under the default 5 s
   * budget the scan rightly stops early with an "only … were searched" notice, which is not what these tests are
   * about. They get a budget no run reaches; the budget's own behaviour is tested in historyScan.test.ts
   * ("no request at all once out of time") and above (one-shot deadline).
   */
  const NOT_UNDER_TEST_MS = 120_000;

  /** A pod's history paging over `log` (see historyPage). */
  const serveHistory = (log: Array<{ seq: number; ts: number; paths: string[] }>) => {
    let requests = 0;
    server.onRequest = (_s, msg, reply) => {
      if (msg.type !== 'history') return;
      requests += 1;
      const page = historyPage(log, { ...msg, limit: msg.limit ?? 1000 });
      reply({
        type: 'history',
        id: msg.id,
        room: msg.room,
        fromTs: msg.fromTs,
        toTs: msg.toTs,
        entries: page.entries.map((e) => ({
          ...e,
          clientId: 1,
          origin: 'client',
          bytes: 10,
          inserted: 1,
          deleted: 0,
        })),
        nextAfterSeq: page.nextAfterSeq,
      });
    };
    return () => requests;
  };

  it('history over a range holding more than 10,000 updates keeps the NEWEST and says how to see the rest', async () => {
    // 25,000 updates over the hour of the request's range.
    const log = Array.from({ length: 25_000 }, (_, i) => ({ seq: i + 1, ts: 100 * i, paths: ['/t'] }));
    const requests = serveHistory(log);
    ds = makeDs([server.url], { oneShotTimeoutMs: NOT_UNDER_TEST_MS });
    const res = await settled(ds.query(req([{ queryType: 'history', room: 'acme/a' }])));
    expect(res.state).toBe(LoadingState.Done);
    expect(res.errors).toBeUndefined();
    const frame = res.data[0] as DataFrame;
    expect(frame.length).toBe(FRAME_LIMITS.maxRows);
    expect(frame.meta?.type).toBe('log-lines');
    const seqs = Array.from(frame.fields.find((f) => f.name === UPDATES_FIELDS.seq)!.values) as number[];
    expect(seqs[0]).toBe(15_001);
    expect(seqs.at(-1)).toBe(25_000);
    expect(noticesOf(res)).toEqual([
      {
        severity: 'warning',
        text:
          'history: more than 10000 updates are in the range; the newest 10000 are shown (from 1970-01-01T00:25:00.000Z) — ' +
          'narrow the time range or add a filter to see earlier ones',
      },
    ]);
    // The last 18 minutes of the range hold no update: a few requests find where the updates end.
    expect(requests()).toBeLessThanOrEqual(8);
  });

  it('history applies the text filter before the cap: every match of the range, not of its first pages', async () => {
    const log = Array.from({ length: 30_000 }, (_, i) => ({
      seq: i + 1,
      ts: 100 * i,
      paths: (i + 1) % 500 === 0 ? ['/special/k'] : ['/t'],
    }));
    serveHistory(log);
    ds = makeDs([server.url], { oneShotTimeoutMs: NOT_UNDER_TEST_MS });
    const res = await settled(ds.query(req([{ queryType: 'history', room: 'acme/a', filter: 'special' }])));
    expect(res.errors).toBeUndefined();
    expect(noticesOf(res)).toEqual([]);
    const seqs = Array.from(
      (res.data[0] as DataFrame).fields.find((f) => f.name === UPDATES_FIELDS.seq)!.values
    );
    expect(seqs).toEqual(Array.from({ length: 60 }, (_, i) => (i + 1) * 500));
  });

  it('streaming windows are bounded by maxDataPoints; unsubscribe closes the socket', async () => {
    server.onRequest = (_s, msg, reply) => {
      if (msg.type !== 'subscribe') return;
      reply({ type: 'subscribed', id: msg.id, sub: 'u1', stream: msg.stream, room: msg.room });
      for (let b = 0; b < 5; b++) {
        reply({
          type: 'updates',
          sub: 'u1',
          room: msg.room,
          items: Array.from({ length: 10 }, (_, i) => ({
            seq: b * 10 + i + 1,
            ts: 1000 + b * 10 + i,
            clientId: 7,
            origin: 'client',
            bytes: 3,
            inserted: 1,
            deleted: 0,
            paths: ['/t'],
            preview: [{ path: '/t', op: 'insert', value: 'secret' }],
          })),
        });
      }
    };
    ds = makeDs([server.url]);
    const seen: DataQueryResponse[] = [];
    const sub = ds.query(req([{ queryType: 'updates', room: 'acme/a' }], 15)).subscribe((r) => seen.push(r));
    await waitUntil(
      () =>
        (seen.at(-1)?.data[0] as DataFrame | undefined)?.fields.find((f) => f.name === UPDATES_FIELDS.seq)
          ?.values[14] === 50,
      5000,
      'last update'
    );
    const frame = seen.at(-1)!.data[0] as DataFrame;
    expect(seen.at(-1)!.state).toBe(LoadingState.Streaming);
    expect(frame.length).toBe(15);
    expect(Array.from(frame.fields.find((f) => f.name === UPDATES_FIELDS.seq)!.values)[0]).toBe(36);
    // Viewer → metadata: the preview never reaches the frame.
    expect(
      JSON.stringify(Array.from(frame.fields.find((f) => f.name === UPDATES_FIELDS.preview)!.values))
    ).not.toContain('secret');
    expect(server.open()).toBe(1);
    sub.unsubscribe();
    await waitUntil(() => server.open() === 0, 2000, 'socket closed');
  });

  it('one inspect socket per pod shared by all queries of the instance', async () => {
    ds = makeDs([server.url]);
    const s1 = ds
      .query(
        req([
          { queryType: 'presence', room: 'acme/a' },
          { queryType: 'tree', room: 'acme/a' },
        ])
      )
      .subscribe();
    const s2 = ds.query(req([{ queryType: 'metrics', room: 'acme/a' }])).subscribe();
    await waitUntil(() => (server.sessions[0]?.subs.size ?? 0) === 3, 3000, 'three subscriptions');
    expect(server.sessions).toHaveLength(1);
    s1.unsubscribe();
    await waitUntil(() => server.sessions[0]!.subs.size === 1, 2000, 'two released');
    expect(server.open()).toBe(1);
    s2.unsubscribe();
    await waitUntil(() => server.open() === 0, 2000, 'closed with the last subscriber');
  });

  it('errors reach the panel when every pod fails (no console)', async () => {
    const url = server.url;
    await server.close();
    ds = makeDs([url]);
    const res = await firstValueFrom(
      ds
        .query(req([{ queryType: 'presence', room: 'acme/a' }]))
        .pipe(filter((r) => r.state === LoadingState.Error))
    );
    expect(res.errors?.[0]?.message).toMatch(/closed|connect/);
    server = await startFakeInspectServer();
  });

  it('a live tree cut at the row cap streams a warning notice on the frame, not an error', async () => {
    server.onRequest = (_s, msg, reply) => {
      if (msg.type !== 'subscribe') return;
      reply({ type: 'subscribed', id: msg.id, sub: 't1', stream: msg.stream, room: msg.room });
      const nodes = Array.from({ length: FRAME_LIMITS.maxRows + 5 }, (_, i) => ({
        path: `/r${i}`,
        parent: '',
        depth: 1,
        key: `r${i}`,
        type: 'Map',
        size: 0,
        itemCount: 0,
        deleted: 0,
        children: 0,
      }));
      reply({
        type: 'treeSnapshot',
        sub: 't1',
        room: msg.room,
        ts: 1,
        chunk: 0,
        last: true,
        total: nodes.length,
        nodes,
      });
    };
    ds = makeDs([server.url]);
    const seen: DataQueryResponse[] = [];
    const sub = ds.query(req([{ queryType: 'tree', room: 'acme/a' }])).subscribe((r) => seen.push(r));
    await waitUntil(
      () => (seen.at(-1)?.data[0] as DataFrame | undefined)?.length === FRAME_LIMITS.maxRows,
      5000,
      'tree'
    );
    sub.unsubscribe();
    const last = seen.at(-1)!;
    expect(last.state).toBe(LoadingState.Streaming);
    expect(last.errors).toBeUndefined();
    expect(noticesOf(last)).toEqual([
      {
        severity: 'warning',
        text: expect.stringMatching(/tree: 10005 rows, only the first 10000/) as unknown as string,
      },
    ]);
  });

  it('a live subtree: an info notice while the root path does not exist, then the subtree once created', async () => {
    const tn = (path: string, parent: string) => treeNode(path, parent);
    let sub1 = '';
    server.onRequest = (_s, msg, reply) => {
      if (msg.type !== 'subscribe') return;
      sub1 = 't-sub';
      reply({ type: 'subscribed', id: msg.id, sub: sub1, stream: msg.stream, room: msg.room });
      const nodes = [tn('/a', ''), tn('/a/x', '/a')];
      reply({
        type: 'treeSnapshot',
        sub: sub1,
        room: msg.room,
        ts: 1,
        chunk: 0,
        last: true,
        total: 2,
        nodes,
      });
    };
    ds = makeDs([server.url]);
    const seen: DataQueryResponse[] = [];
    const sub = ds
      .query(req([{ queryType: 'tree', room: 'acme/a', rootPath: '/later', maxDepth: 1 }]))
      .subscribe((r) => seen.push(r));
    await waitUntil(() => noticesOf(seen.at(-1) ?? { data: [] }).length > 0, 5000, 'not-found notice');
    expect(seen.at(-1)?.errors).toBeUndefined();
    expect(noticesOf(seen.at(-1)!)).toEqual([
      {
        severity: 'info',
        text: 'tree: no node at "/later" (yet) — the frame fills in when it is created; check the root path',
      },
    ]);
    expect((seen.at(-1)!.data[0] as DataFrame).meta?.custom).toMatchObject({
      rootFound: false,
      rootPath: '/later',
    });
    server.send(server.sessions[0]!, {
      type: 'treePatch',
      sub: sub1,
      room: 'acme/a',
      ts: 2,
      added: [tn('/later', ''), tn('/later/k', '/later'), tn('/later/k/deep', '/later/k')],
      changed: [],
      removed: [],
      transactions: 1,
    });
    await waitUntil(
      () => (seen.at(-1)?.data[0] as DataFrame | undefined)?.length === 2,
      5000,
      'subtree rows'
    );
    sub.unsubscribe();
    const frame = seen.at(-1)!.data[0] as DataFrame;
    expect(Array.from(frame.fields.find((f) => f.name === 'path')!.values)).toEqual(['/later', '/later/k']);
    expect(frame.meta?.custom).toMatchObject({ rootFound: true, rootPath: '/later', maxDepth: 1 });
    expect(noticesOf(seen.at(-1)!)).toEqual([]);
  });

  it('a live query with a mistyped pod filter fails naming the pods instead of streaming empty frames', async () => {
    ds = makeDs([server.url]);
    const name = `fake-${new URL(server.url).port}`;
    const bad = await firstValueFrom(
      ds
        .query(req([{ queryType: 'presence', room: 'acme/a', pod: 'fake-typo' }]))
        .pipe(filter((r) => r.state === LoadingState.Error))
    );
    expect(bad.errors?.[0]?.message).toBe(
      `no pod named "fake-typo": the pods are ${name} — check the Pod field (or its variable), or leave it empty for every pod`
    );
    // The right name (or the URL) streams without an error.
    for (const pod of [name, server.url]) {
      const seen: DataQueryResponse[] = [];
      const sub = ds
        .query(req([{ queryType: 'presence', room: 'acme/a', pod }]))
        .subscribe((r) => seen.push(r));
      await waitUntil(() => server.sessions.some((x) => x.subs.size > 0), 5000, `subscribed via ${pod}`);
      await new Promise((r) => setTimeout(r, 300));
      sub.unsubscribe();
      expect(seen.flatMap((r) => r.errors ?? [])).toEqual([]);
      expect(seen.at(-1)?.state).toBe(LoadingState.Streaming);
    }
  });

  it('a multi-value room or pod variable is a clear error (one room per query, or repeat the panel)', async () => {
    ds = makeDs([server.url]);
    // Grafana calls the format function with the array of values of a multi-value (or All) variable.
    const tpl = (vars: Record<string, string[]>) =>
      ({
        replace: (s = '', _v?: unknown, fmt?: unknown) =>
          Object.entries(vars).reduce(
            (out, [name, values]) =>
              out.replace(name, () =>
                typeof fmt === 'function' ? (fmt as (v: unknown) => string)(values) : `{${values.join(',')}}`
              ),
            s
          ),
      }) as unknown as TemplateSrv;
    setTemplateSrv(tpl({ $rooms: ['acme/a', 'acme/b'], $one: ['acme/a'] }));
    const multi = await settled(ds.query(req([{ queryType: 'tree', room: '$rooms' }])));
    expect(multi.state).toBe(LoadingState.Error);
    expect(multi.errors?.[0]?.message).toBe(
      'room "$rooms" has several values (acme/a, acme/b): use one room per query — pick one value, or repeat the panel by the variable (Panel options → Repeat options)'
    );
    const pod = await settled(ds.query(req([{ queryType: 'tree', room: '$one', pod: '$rooms' }])));
    expect(pod.errors?.[0]?.message).toMatch(/^pod "\$rooms" has several values \(acme\/a, acme\/b\)/);
    // A template service without format functions still yields the glob: same error.
    setTemplateSrv({ replace: (s = '') => s.replace('$rooms', '{acme/a,acme/b}') } as unknown as TemplateSrv);
    const glob = await settled(ds.query(req([{ queryType: 'history', room: '$rooms' }])));
    expect(glob.errors?.[0]?.message).toMatch(/several values \(acme\/a, acme\/b\): use one room per query/);
    // A one-element multi-value selection is just that room.
    setTemplateSrv(tpl({ $one: ['acme/a'] }));
    const one = await firstValueFrom(ds.query(req([{ queryType: 'presence', room: '$one' }])));
    expect(one.errors ?? []).toEqual([]);
  });

  it('validates input: unknown query type, bad room, bad instant, no pods', async () => {
    ds = makeDs([server.url]);
    const bad = await settled(ds.query(req([{ queryType: 'nope' as CollabQuery['queryType'] }])));
    expect(bad.errors?.[0]?.message).toMatch(/unknown query type/);
    const room = await settled(ds.query(req([{ queryType: 'tree', room: '../etc' }])));
    expect(room.errors?.[0]?.message).toMatch(/room/);
    const at = await settled(
      ds.query(req([{ queryType: 'historyTree', room: 'acme/a', at: 'yesterday-ish' }]))
    );
    expect(at.errors?.[0]?.message).toMatch(/"at" must be/);
    const none = makeDs([]);
    const empty = await settled(none.query(req([{ queryType: 'rooms' }])));
    expect(empty.errors?.[0]?.message).toMatch(/no pod URL/);
    expect((await none.testDatasource()).status).toBe('error');
    expect(podUrlsOf({ podUrls: [' http://a ', '', 'http://a'] } as CollabJsonData)).toEqual(['http://a']);
  });
});
