/**
 * A real Prometheus scrapes a real pod: the OpenMetrics exposition (negotiated
 * by Prometheus' own Accept header) parses, every series carries `pod`, and
 * `storage_op_rtt_ms` exemplars are stored with trace ids the pod exported.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connectClient, waitFor, type StockClient } from './helpers/clients.js';
import { mintToken } from './helpers/jwt.js';
import { startPod, type PodProcess } from './helpers/pod.js';
import { freePort } from './infra/ports.js';

const hasPrometheus = spawnSync('prometheus', ['--version']).status === 0;

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function promGet<T>(base: string, pathAndQuery: string): Promise<T> {
  const res = await fetch(`${base}${pathAndQuery}`);
  const body = (await res.json()) as { status: string; data: T };
  if (body.status !== 'success') throw new Error(`prometheus ${pathAndQuery}: ${JSON.stringify(body)}`);
  return body.data;
}

describe('Prometheus scraping a pod', () => {
  it.skipIf(!hasPrometheus)(
    'parses the OpenMetrics exposition and stores trace exemplars',
    { timeout: 90_000 },
    async () => {
      // OTLP receiver: collects exported trace ids.
      const traceIds = new Set<string>();
      const receiver = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          for (const m of Buffer.concat(chunks)
            .toString('utf8')
            .matchAll(/"traceId":"([0-9a-f]{32})"/g)) {
            traceIds.add(m[1] as string);
          }
          res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        });
      });
      await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
      cleanups.push(() => new Promise<void>((r) => receiver.close(() => r())));
      const otlp = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;

      const pod: PodProcess = await startPod({
        env: {
          OTEL_EXPORTER_OTLP_ENDPOINT: otlp,
          OTEL_TRACES_SAMPLER_ARG: '1',
          OTEL_BSP_SCHEDULE_DELAY: '100',
        },
      });
      cleanups.push(() => pod.cleanup());

      const dir = mkdtempSync(path.join(os.tmpdir(), 'collab-prom-'));
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
      writeFileSync(
        path.join(dir, 'prometheus.yml'),
        [
          'global:',
          '  scrape_interval: 1s',
          '  scrape_timeout: 1s',
          'scrape_configs:',
          '  - job_name: collab',
          `    static_configs: [{ targets: ['127.0.0.1:${pod.port}'] }]`,
          '',
        ].join('\n')
      );
      const promPort = await freePort();
      const prom: ChildProcess = spawn(
        'prometheus',
        [
          `--config.file=${path.join(dir, 'prometheus.yml')}`,
          `--storage.tsdb.path=${path.join(dir, 'data')}`,
          `--web.listen-address=127.0.0.1:${promPort}`,
          '--enable-feature=exemplar-storage',
          '--log.level=warn',
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] }
      );
      let promLog = '';
      prom.stderr?.on('data', (c: Buffer) => {
        promLog = (promLog + c.toString('utf8')).slice(-20_000);
      });
      const promExited = new Promise<void>((r) => prom.once('exit', () => r()));
      cleanups.push(async () => {
        prom.kill('SIGTERM');
        await promExited;
      });
      const base = `http://127.0.0.1:${promPort}`;

      const token = await mintToken({ org: 'acme', sub: 'u-1' });
      const client: StockClient = connectClient(pod.wsUrl, 'acme/scraped', token);
      cleanups.push(() => client.destroy());
      await client.synced;
      for (let i = 0; i < 10; i++) client.doc.getText('t').insert(0, 'p');

      type Target = { health: string; lastError: string; labels: Record<string, string> };
      await waitFor(
        async () => {
          const t = await promGet<{ activeTargets: Target[] }>(base, '/api/v1/targets');
          return t.activeTargets.some((x) => x.health === 'up');
        },
        30_000,
        `prometheus scraped the pod (log: ${promLog})`,
        250
      );
      type Vector = Array<{ metric: Record<string, string>; value: [number, string] }>;
      const q = (expr: string) =>
        promGet<{ result: Vector }>(base, `/api/v1/query?query=${encodeURIComponent(expr)}`);
      await waitFor(
        async () =>
          Number((await q('sum(crdt_ops_total{org="acme",type="update"})')).result[0]?.value[1] ?? 0) >= 10,
        20_000,
        'crdt ops in prometheus',
        250
      );
      // No parse error ever reported for the target (a timeout under load is not a format problem).
      const targets = await promGet<{ activeTargets: Target[] }>(base, '/api/v1/targets');
      expect(targets.activeTargets[0]?.lastError ?? '').not.toMatch(/pars|unexpected|invalid|expected/i);
      expect(promLog).not.toMatch(/pars|unexpected/i);

      // Every series of the job carries the pod label (except Prometheus' own `up` / `scrape_*`).
      const withoutPod = await q('count({job="collab", pod="", __name__!~"up|scrape_.*"})');
      expect(withoutPod.result).toHaveLength(0);
      // Scrapes can time out on a loaded machine: wait for a fresh one rather than asserting on the first.
      let conns: Vector = [];
      await waitFor(
        async () => {
          conns = (await q('collab_active_connections{org="acme",room_id="scraped"}')).result;
          return conns[0]?.value[1] === '1';
        },
        20_000,
        'connection gauge in prometheus',
        250
      );
      expect(conns[0]?.metric.pod).toBe(pod.podName);

      // Exemplars on storage_op_rtt_ms link to exported traces.
      type ExemplarSeries = Array<{ exemplars: Array<{ labels: Record<string, string> }> }>;
      let exemplarIds: string[] = [];
      await waitFor(
        async () => {
          const now = Date.now() / 1000;
          const data = await promGet<ExemplarSeries>(
            base,
            `/api/v1/query_exemplars?query=${encodeURIComponent('storage_op_rtt_ms_bucket')}&start=${now - 600}&end=${now + 60}`
          );
          exemplarIds = data.flatMap((s) => s.exemplars.map((e) => e.labels.trace_id ?? ''));
          return exemplarIds.length > 0 && exemplarIds.every((t) => traceIds.has(t));
        },
        20_000,
        'exemplars stored and their traces exported',
        250
      );
      expect(exemplarIds.length).toBeGreaterThan(0);
    }
  );
});
