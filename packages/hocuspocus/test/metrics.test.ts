/**
 * `/metrics` of a real Hocuspocus server with CollabMonitor: the collab taxonomy with the values its
 * hooks imply, and the same families and label sets as our pod's `/metrics` for the same activity.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectHocuspocus, startHocuspocus, type HocuspocusHost } from './helpers/hocuspocus.js';
import { labelShapes, parseExposition, scrape, valueOf, waitFor, type Sample } from './helpers/exposition.js';
import { connectClient, mintToken, startPod, type PodProcess } from './helpers/pod.js';

/** The taxonomy's activity-driven series (collab-server/docs/METRICS.md). */
const ACTIVITY_SERIES = new Set([
  'collab_active_connections',
  'crdt_ops_total',
  'collab_messages_total',
  'collab_connections_total',
  'collab_rooms_loaded',
  'collab_rooms_unloaded_total',
  'collab_room_load_ms_count',
  'collab_update_duration_ms_count',
  'storage_write_latency_ms_bucket',
  'storage_op_rtt_ms_bucket',
  'collab_storage_written_ops_total',
  'collab_ops_lag',
  'collab_ops_pending_durable',
  'collab_ops_pending_compaction',
  'cpu_usage',
  'mem_usage',
]);

/** The families of the taxonomy every host registers (prom-client default metrics apart). */
const TAXONOMY_FAMILIES = [
  'collab_active_connections',
  'crdt_ops_total',
  'presence_rtt_ms',
  'storage_op_rtt_ms',
  'ws_errors_total',
  'collab_client_closes_total',
  'collab_auth_jwks_failures_total',
  'collab_errors_total',
  'cpu_usage',
  'mem_usage',
  'collab_storage_bytes',
  'collab_storage_quota_bytes',
  'collab_ops_lag',
  'collab_ops_pending_durable',
  'collab_ops_pending_compaction',
  'storage_write_latency_ms',
  'collab_storage_written_ops_total',
  'collab_rooms_loaded',
  'collab_messages_total',
  'collab_connections_total',
  'collab_room_load_ms',
  'collab_rooms_unloaded_total',
  'collab_compactions_total',
  'collab_compaction_duration_ms',
  'collab_update_duration_ms',
  'collab_storage_stats_age_seconds',
];

async function samplesOf(httpUrl: string): Promise<Sample[]> {
  return parseExposition((await scrape(httpUrl)).text).samples;
}

describe('Hocuspocus /metrics', () => {
  let hp: HocuspocusHost;
  beforeAll(async () => {
    hp = await startHocuspocus({ monitor: { instance: 'hp-metrics' } });
  });
  afterAll(async () => {
    await hp?.stop();
  });

  it('counts connections, messages, CRDT ops, loads, stores and unloads of a room', async () => {
    const a = connectHocuspocus(hp.wsUrl, 'acme/alpha', { awareness: { user: { name: 'A' } } });
    const b = connectHocuspocus(hp.wsUrl, 'acme/alpha');
    await Promise.all([a.synced, b.synced]);
    for (let i = 0; i < 3; i++) a.doc.getText('t').insert(0, `x${i}`);
    await waitFor(() => b.doc.getText('t').length === 6, 5000, 'b converges');

    await waitFor(
      async () => valueOf(await samplesOf(hp.httpUrl), 'collab_storage_written_ops_total') >= 3,
      5000,
      'the debounced store'
    );
    let s = await samplesOf(hp.httpUrl);
    const room = { org: 'acme', room_id: 'alpha' };
    expect(valueOf(s, 'collab_connections_total', { org: 'acme', pod: 'hp-metrics' })).toBe(2);
    expect(valueOf(s, 'collab_active_connections', room)).toBe(2);
    expect(valueOf(s, 'crdt_ops_total', { ...room, type: 'update' })).toBe(3);
    expect(valueOf(s, 'crdt_ops_total', { ...room, type: 'awareness' })).toBeGreaterThanOrEqual(1);
    expect(valueOf(s, 'collab_messages_total', { org: 'acme', kind: 'sync-step1' })).toBeGreaterThanOrEqual(
      2
    );
    expect(valueOf(s, 'collab_messages_total', { org: 'acme', kind: 'sync-update' })).toBe(3);
    expect(valueOf(s, 'collab_update_duration_ms_count')).toBe(3);
    expect(valueOf(s, 'collab_rooms_loaded')).toBe(1);
    expect(valueOf(s, 'collab_room_load_ms_count')).toBe(1);
    expect(valueOf(s, 'collab_storage_written_ops_total', { backend: 'hocuspocus' })).toBe(3);
    expect(valueOf(s, 'storage_op_rtt_ms_count', { org: 'acme' })).toBeGreaterThanOrEqual(1);
    expect(valueOf(s, 'collab_ops_pending_durable', { org: 'acme' })).toBe(0);

    a.destroy();
    b.destroy();
    await waitFor(
      async () => valueOf(await samplesOf(hp.httpUrl), 'collab_rooms_unloaded_total', { org: 'acme' }) === 1,
      5000,
      'room unload'
    );
    s = await samplesOf(hp.httpUrl);
    expect(valueOf(s, 'collab_rooms_loaded')).toBe(0);
    expect(valueOf(s, 'collab_active_connections', room)).toBe(0);
    // Normal closes are not errors.
    expect(valueOf(s, 'ws_errors_total')).toBe(0);
    expect(valueOf(s, 'collab_client_closes_total')).toBe(0);
  });

  it('counts a dropped connection as ws_errors_total{code="1006"}', async () => {
    const c = connectHocuspocus(hp.wsUrl, 'acme/drop');
    await c.synced;
    const before = valueOf(await samplesOf(hp.httpUrl), 'ws_errors_total', { org: 'acme', code: '1006' });
    (c.socket.webSocket as unknown as { terminate(): void }).terminate();
    await waitFor(
      async () =>
        valueOf(await samplesOf(hp.httpUrl), 'ws_errors_total', { org: 'acme', code: '1006' }) === before + 1,
      5000,
      'the dropped connection counted'
    );
    c.destroy();
  });

  it('folds documents outside <org>/<room> into org="_unknown", room_id="_other"', async () => {
    const c = connectHocuspocus(hp.wsUrl, 'Meeting Notes (draft)');
    await c.synced;
    c.doc.getText('t').insert(0, 'hello');
    await waitFor(
      async () =>
        valueOf(await samplesOf(hp.httpUrl), 'crdt_ops_total', { org: '_unknown', room_id: '_other' }) >= 1,
      5000,
      'the unmapped document counted'
    );
    const s = await samplesOf(hp.httpUrl);
    expect(s.some((x) => Object.values(x.labels).some((v) => v.includes('Meeting')))).toBe(false);
    c.destroy();
  });

  it('renders OpenMetrics when asked for and leaves other paths to Hocuspocus', async () => {
    const om = await scrape(hp.httpUrl, 'application/openmetrics-text;version=1.0.0,text/plain;q=0.5');
    expect(om.contentType).toContain('application/openmetrics-text');
    expect(om.text.endsWith('# EOF\n')).toBe(true);
    const other = await fetch(`${hp.httpUrl}/somewhere-else`);
    expect(await other.text()).toBe('Welcome to Hocuspocus!');
    const post = await fetch(`${hp.httpUrl}/metrics`, { method: 'POST' });
    expect(post.status).toBe(405);
  });
});

describe('the same taxonomy as the collab pod', () => {
  let hp: HocuspocusHost;
  let pod: PodProcess;
  beforeAll(async () => {
    [hp, pod] = await Promise.all([
      startHocuspocus({ monitor: { instance: 'hp-compare' } }),
      startPod({ env: { COLLAB_METRICS_DEFAULT: 'false', COLLAB_ROOM_IDLE_MS: '200' } }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([hp?.stop(), pod?.cleanup()]);
  });

  it('emits the same families and, for the same activity, the same label sets', async () => {
    // Same activity on both: two editors in acme/same, one with presence, three updates.
    const token = await mintToken({ org: 'acme' });
    const onPod = [
      connectClient(pod.wsUrl, 'acme/same', token, { awareness: { user: { name: 'A' } } }),
      connectClient(pod.wsUrl, 'acme/same', token),
    ];
    const onHp = [
      connectHocuspocus(hp.wsUrl, 'acme/same', { awareness: { user: { name: 'A' } } }),
      connectHocuspocus(hp.wsUrl, 'acme/same'),
    ];
    await Promise.all([...onPod, ...onHp].map((c) => c.synced));
    for (const [writer, reader] of [onPod, onHp] as const) {
      for (let i = 0; i < 3; i++) writer!.doc.getText('t').insert(0, `x${i}`);
      await waitFor(() => reader!.doc.getText('t').length === 6, 5000, 'convergence');
    }
    const stored = async (url: string) =>
      valueOf(await samplesOf(url), 'collab_storage_written_ops_total') >= 3;
    await waitFor(() => stored(pod.httpUrl), 5000, 'pod durable');
    await waitFor(() => stored(hp.httpUrl), 5000, 'hocuspocus stored');

    const podText = (await scrape(pod.httpUrl)).text;
    const hpText = (await scrape(hp.httpUrl)).text;
    const podExp = parseExposition(podText);
    const hpExp = parseExposition(hpText);
    for (const f of TAXONOMY_FAMILIES) {
      expect(podExp.families.has(f), `pod has ${f}`).toBe(true);
      expect(hpExp.families.has(f), `hocuspocus has ${f}`).toBe(true);
    }
    const podShapes = labelShapes(podExp.samples, ACTIVITY_SERIES);
    const hpShapes = labelShapes(hpExp.samples, ACTIVITY_SERIES);
    // The pod's storage backend is sqlite, Hocuspocus's the configured name: same label keys.
    expect(Object.fromEntries(hpShapes)).toEqual(Object.fromEntries(podShapes));
    // And the same per-room values for what both count the same way.
    for (const [name, match] of [
      ['collab_connections_total', { org: 'acme' }],
      ['collab_active_connections', { org: 'acme', room_id: 'same' }],
      ['crdt_ops_total', { org: 'acme', room_id: 'same', type: 'update' }],
      ['collab_messages_total', { org: 'acme', kind: 'sync-update' }],
      ['collab_rooms_loaded', {}],
    ] as const) {
      expect(valueOf(hpExp.samples, name, match), name).toBe(valueOf(podExp.samples, name, match));
    }
    for (const c of [...onPod, ...onHp]) c.destroy();
  });
});
