/**
 * Tenancy end to end through the backend (issue 15): two REAL pods host rooms of org `acme` and org `globex`;
 * a datasource configured with globex's key — as a Viewer (metadata) and as an Admin (content key) — reads
 * NOTHING of acme through any backend path: QueryData (every query kind of the backend's table), CallResource
 * (every resource), SubscribeStream / RunStream (crafted channel paths naming acme's rooms, traversal,
 * encoded and duplicated parameters, every live kind). And the org-scoped Grafana layout — one organisation
 * per collab org, each provisioning its collab datasource under the SAME uid with its own key — never mixes
 * the two datasources' instances. The bundled backend is started as Grafana starts it and spoken to over
 * the published proto.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COLLAB_QUERY_TYPES, ROOMS_FIELDS } from '@collabblocks/protocol';

import { connectClient, type StockClient } from '../../../../collab-server/test/helpers/clients';
import { mintToken, TEST_API_KEYS, TEST_API_KEYS_ENV } from '../../../../collab-server/test/helpers/jwt';
import { startPod, type PodProcess } from '../../../../collab-server/test/helpers/pod';
import {
  startPluginHost,
  type PluginHost,
} from '../../../../e2e/harness/src/server/backendPlugin/pluginHost';
import { BACKEND_BUNDLE } from '../testing/executable';
import {
  callResource,
  channelOf,
  decodeArrow,
  type DatasourceOptions,
  pluginContext,
  queryData,
  type Role,
  runStream,
  until,
} from '../testing/grafanaClient';

const here = path.dirname(fileURLToPath(import.meta.url));

/** A content key for globex too, so an org-B Admin holds the strongest key org B can have. */
const GLOBEX_CONTENT_KEY = 'globex-content-key-0123456789abcdef';
const ACME_ROOM = 'acme/secret-plan';
const ACME_ROOM_B = 'acme/hidden-b';
const GLOBEX_ROOM = 'globex/public';
/** What must never reach org B: acme's room names, user names and typed text. */
const ACME_MARKERS = ['secret-plan', 'hidden-b', 'Alice Secret', 'Avery Hidden', 'ACME-SECRET-TEXT'];
const ALL_KINDS = [...COLLAB_QUERY_TYPES, 'annotations'];
const LIVE_KINDS = [
  'presence',
  'presenceHeatmap',
  'documentHeatmap',
  'tree',
  'updates',
  'traffic',
  'metrics',
] as const;

let pods: PodProcess[] = [];
let host: PluginHost;
const clients: StockClient[] = [];
let acmeDs: DatasourceOptions;
let globexDs: DatasourceOptions;
/** The key globex's datasource holds for each role's test (metadata key for Viewer, content key for Admin). */
const globexAs = (role: Role): DatasourceOptions => ({
  ...globexDs,
  apiKey: role === 'Admin' ? GLOBEX_CONTENT_KEY : TEST_API_KEYS.globex.key,
  updated: role === 'Admin' ? 2 : 1,
});

function expectNoAcme(text: string, what: string): void {
  for (const m of ACME_MARKERS) expect(text, `${what} carries "${m}"`).not.toContain(m);
}

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

beforeAll(async () => {
  execFileSync(process.execPath, [path.join(here, '..', 'build.mjs')], { stdio: 'pipe' });
  const env = { COLLAB_API_KEYS: `${TEST_API_KEYS_ENV},globex:${GLOBEX_CONTENT_KEY}:content` };
  pods = await Promise.all([startPod({ env }), startPod({ env })]);
  const [a, b] = pods as [PodProcess, PodProcess];
  const alice = await mintToken({ org: 'acme', sub: 'alice', name: 'Alice Secret' });
  const avery = await mintToken({ org: 'acme', sub: 'avery', name: 'Avery Hidden' });
  const gina = await mintToken({ org: 'globex', sub: 'gina', name: 'Gina Globex' });
  clients.push(
    connectClient(a.wsUrl, ACME_ROOM, alice, {
      awareness: { user: { name: 'Alice Secret', color: '#ff0000' }, cursor: { x: 0.1, y: 0.2 } },
    }),
    connectClient(b.wsUrl, ACME_ROOM_B, avery, {
      awareness: { user: { name: 'Avery Hidden', color: '#0000ff' }, cursor: { x: 0.3, y: 0.4 } },
    }),
    connectClient(a.wsUrl, GLOBEX_ROOM, gina, {
      awareness: { user: { name: 'Gina Globex', color: '#00ff00' }, cursor: { x: 0.5, y: 0.6 } },
    }),
    connectClient(b.wsUrl, GLOBEX_ROOM, gina)
  );
  await Promise.all(clients.map((c) => c.synced));
  clients[0]!.doc.getText('t').insert(0, 'ACME-SECRET-TEXT');
  clients[1]!.doc.getText('t').insert(0, 'ACME-SECRET-TEXT');
  clients[2]!.doc.getText('t').insert(0, 'globex text');
  // The bundle just built, or BACKEND_EXECUTABLE (e.g. the packaged dist/gpx_collab_linux_amd64, which embeds
  // whatever bundle it was packaged from: run `npm run package:backend` first).
  const exe = process.env.BACKEND_EXECUTABLE;
  host = await startPluginHost(
    exe ? { command: exe } : { command: process.execPath, args: [BACKEND_BUNDLE] }
  );
  const podUrls = pods.map((p) => p.httpUrl);
  // Two Grafana organisations, each with its collab datasource provisioned under the same uid.
  acmeDs = { podUrls, apiKey: TEST_API_KEYS.acmeContent.key, uid: 'collab', id: 11, orgId: 1 };
  globexDs = { podUrls, apiKey: TEST_API_KEYS.globex.key, uid: 'collab', id: 12, orgId: 2 };
});

afterAll(async () => {
  for (const c of clients) c.destroy();
  await host?.stop();
  await Promise.all(pods.map((p) => p.cleanup()));
});

describe('org B reads nothing of org A through the backend', () => {
  it('two organisations’ datasources under one uid stay apart (each its own key’s rooms)', async () => {
    // acme's datasource first, so an instance keyed by uid alone would be acme's when globex asks.
    const acme = (await queryData(host, pluginContext(acmeDs, 'Viewer'), [{ queryType: 'rooms' }]))['A']!;
    const acmeRooms = decodeArrow(acme.frames[0]!).fields.find((f) => f.name === ROOMS_FIELDS.room)!.values;
    expect(acmeRooms).toContain(ACME_ROOM);
    const globex = (await queryData(host, pluginContext(globexDs, 'Viewer'), [{ queryType: 'rooms' }]))['A']!;
    expect(globex.error).toBe('');
    const rooms = decodeArrow(globex.frames[0]!).fields.find((f) => f.name === ROOMS_FIELDS.room)!.values;
    expect(rooms).toContain(GLOBEX_ROOM);
    expect(rooms.every((r) => String(r).startsWith('globex/'))).toBe(true);
  });

  for (const role of ['Viewer', 'Admin'] as const) {
    it(`QueryData, every query kind, as a globex ${role}: acme's rooms refused, nothing of acme in any answer`, async () => {
      const ctx = pluginContext(globexAs(role), role);
      const queries: Array<Record<string, unknown>> = [
        // Every kind of the backend's table, aimed at acme's rooms.
        ...ALL_KINDS.map((queryType) => ({ queryType, room: ACME_ROOM, at: String(Date.now()) })),
        ...ALL_KINDS.map((queryType) => ({ queryType, room: ACME_ROOM_B, pod: pods[1]!.podName })),
        // Crafted rooms: traversal, encoding, case, another org's room as a "filter".
        { queryType: 'presence', room: `globex/../${ACME_ROOM}` },
        { queryType: 'presence', room: 'acme%2Fsecret-plan' },
        { queryType: 'tree', room: 'ACME/secret-plan' },
        { queryType: 'rooms', room: 'acme' },
        { queryType: 'rooms', filter: 'secret' },
        // The numeric view alert rules use.
        { queryType: 'rooms', measure: ROOMS_FIELDS.docBytes },
        { queryType: 'presence', room: ACME_ROOM, measure: 'x' },
        // Control: globex's own rooms answer.
        { queryType: 'rooms' },
      ];
      const rs = await queryData(host, ctx, queries);
      expect(Object.keys(rs)).toHaveLength(queries.length);
      queries.forEach((q, i) => {
        const r = rs[String.fromCharCode(65 + i)]!;
        const what = `${role} ${JSON.stringify(q)}`;
        expect(r.error, what).not.toMatch(/unknown query type/);
        const frames = r.frames.map(decodeArrow);
        expectNoAcme(JSON.stringify(frames) + r.error.replace(String(q.room ?? ''), ''), what);
        if (
          String(q.room ?? '')
            .toLowerCase()
            .includes('acme') &&
          q.queryType !== 'rooms'
        ) {
          // Refused before any pod is asked: no frame at all, a 4xx naming the reason.
          expect(r.status, what).toBeGreaterThanOrEqual(400);
          expect(r.status, what).toBeLessThan(500);
          expect(frames, what).toEqual([]);
        }
        if (q.queryType === 'rooms') {
          for (const f of frames) {
            const room = f.fields.find((x) => x.name === ROOMS_FIELDS.room)?.values ?? [];
            expect(
              room.every((v) => String(v).startsWith('globex/')),
              what
            ).toBe(true);
          }
        }
      });
      const control = decodeArrow(rs[String.fromCharCode(65 + queries.length - 1)]!.frames[0]!);
      expect(control.fields.find((f) => f.name === ROOMS_FIELDS.room)!.values).toContain(GLOBEX_ROOM);
    }, 90_000);

    it(`CallResource, every resource, as a globex ${role}: only globex`, async () => {
      const ctx = pluginContext(globexAs(role), role);
      const urls = [
        'variables?kind=orgs',
        'variables?kind=rooms',
        'variables?kind=rooms&org=acme',
        'variables?kind=pods',
        'variables?kind=pods&org=acme',
        'rooms',
        'rooms?org=acme',
        '../rooms',
        'variables/../rooms?org=acme',
      ];
      for (const url of urls) {
        const res = await callResource(host, ctx, url);
        expectNoAcme(res.body, `${role} ${url}`);
        if (url === 'variables?kind=orgs')
          expect(JSON.parse(res.body)).toEqual([{ text: 'globex', value: 'globex' }]);
        if (url === 'variables?kind=rooms') {
          expect(JSON.parse(res.body)).toContainEqual({ text: GLOBEX_ROOM, value: GLOBEX_ROOM });
        }
        if (url === 'variables?kind=rooms&org=acme') expect(JSON.parse(res.body)).toEqual([]);
      }
      expect(host.proc.exitCode).toBeNull();
    });

    it(`Live, crafted channels, as a globex ${role}: refused by SubscribeStream and by RunStream, no packet`, async () => {
      const ctx = pluginContext(globexAs(role), role);
      const scope = role === 'Admin' ? 'content' : 'metadata';
      const paths = [
        ...LIVE_KINDS.flatMap((k) => [
          `${scope}/${k}/${b64({ room: ACME_ROOM })}`,
          `${scope}/${k}/${b64({ room: ACME_ROOM_B, pod: pods[1]!.podName })}`,
        ]),
        // Traversal, encodings, case, a duplicated key (JSON.parse keeps the last), padding, raw text.
        `${scope}/presence/${b64({ room: `globex/../${ACME_ROOM}` })}`,
        `${scope}/presence/${b64({ room: 'acme%2Fsecret-plan' })}`,
        `${scope}/presence/${b64({ room: 'ACME/secret-plan' })}`,
        `${scope}/presence/${Buffer.from(`{"room":"${GLOBEX_ROOM}","room":"${ACME_ROOM}"}`).toString('base64url')}`,
        `${scope}/presence/${Buffer.from(JSON.stringify({ room: ACME_ROOM })).toString('base64')}`,
        `${scope}/presence/../../acme/secret-plan`,
        `${scope}/presence/${encodeURIComponent(JSON.stringify({ room: ACME_ROOM }))}`,
        `${scope}/presence/${b64({ room: GLOBEX_ROOM })}/../${b64({ room: ACME_ROOM })}`,
      ];
      for (const p of paths) {
        const sub = await host.call<{ status: string }>(host.stream, 'SubscribeStream', {
          pluginContext: ctx,
          path: p,
        });
        expect(sub.status, `${role} SubscribeStream ${p}`).not.toBe('OK');
      }
      // Grafana only runs admitted channels; the backend refuses a direct RunStream too.
      const runs = paths.map((p) => runStream(host, ctx, p));
      const ends = await Promise.all(runs.map((r) => r.ended));
      ends.forEach((e, i) => {
        expect(e, `${role} RunStream ${paths[i]}`).not.toBeNull();
        expect([5, 7], `${role} RunStream ${paths[i]}: ${e?.message}`).toContain(e?.code); // NOT_FOUND, PERMISSION_DENIED
        expect(runs[i]!.packets, `${role} RunStream ${paths[i]}`).toEqual([]);
      });
      // Control: globex's own room streams, and carries nothing of acme.
      const own = (await queryData(host, ctx, [{ queryType: 'presence', room: GLOBEX_ROOM }]))['A']!;
      const ownPath = channelOf(own);
      expect(ownPath.startsWith(`${scope}/presence/`)).toBe(true);
      const run = runStream(host, ctx, ownPath);
      try {
        await until('a packet of globex’s room', () => run.raw.some((t) => t.includes('"x"')));
        for (const t of run.raw) expectNoAcme(t, `${role} globex channel`);
      } finally {
        run.cancel();
      }
      expect(host.proc.exitCode).toBeNull();
    }, 60_000);
  }

  it('acme’s running channel is not org B’s: the same path under globex’s datasource is refused', async () => {
    const acmeCtx = pluginContext(acmeDs, 'Viewer');
    const acmePath = channelOf(
      (await queryData(host, acmeCtx, [{ queryType: 'presence', room: ACME_ROOM }]))['A']!
    );
    const acmeRun = runStream(host, acmeCtx, acmePath);
    try {
      await until('acme’s channel streaming', () => acmeRun.raw.some((t) => t.includes('"x"')));
      const globexCtx = pluginContext(globexDs, 'Viewer');
      const sub = await host.call<{ status: string }>(host.stream, 'SubscribeStream', {
        pluginContext: globexCtx,
        path: acmePath,
      });
      expect(sub.status).toBe('PERMISSION_DENIED');
      const run = runStream(host, globexCtx, acmePath);
      expect((await run.ended)?.code).toBe(7);
      expect(run.packets).toEqual([]);
    } finally {
      acmeRun.cancel();
    }
  });
});
