/**
 * The benchmark's machinery stays honest: histogram percentiles are right, and
 * a tiny end-to-end run (stock server and our pod, real processes) delivers
 * every update to every peer and reports latencies and CPU figures.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LatencyHistogram } from '../bench/histogram.js';
import { SERVER_ROOT } from '../bench/servers.js';

describe('latency histogram', () => {
  it('gives percentiles within its 5 % resolution and merges', () => {
    const a = new LatencyHistogram();
    const b = new LatencyHistogram();
    for (let i = 1; i <= 1000; i++) (i % 2 ? a : b).record(i / 10); // 0.1 … 100 ms
    a.merge(b.toJSON());
    expect(a.count).toBe(1000);
    for (const [p, exact] of [
      [50, 50],
      [95, 95],
      [99, 99],
    ] as const) {
      const v = a.percentile(p);
      expect(v).toBeGreaterThanOrEqual(exact);
      expect(v).toBeLessThanOrEqual(exact * 1.05 + 1e-9);
    }
    expect(a.percentile(100)).toBe(100);
    expect(new LatencyHistogram().percentile(50)).toBeNaN();
  });
});

interface BenchJson {
  results: Array<{
    kind: string;
    main: { delivery: number; received: number; p50: number; p99: number; serverUsPerDelivery: number };
  }>;
}

describe('bench end to end (tiny)', () => {
  it('stock and ours-off deliver every update with measured latency', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sim-bench-test-'));
    const json = path.join(dir, 'out.json');
    try {
      const { code, stdout, stderr } = await new Promise<{
        code: number | null;
        stdout: string;
        stderr: string;
      }>((resolve, reject) => {
        const child = spawn(
          process.execPath,
          [
            '--import',
            'tsx',
            path.join(SERVER_ROOT, 'bench', 'main.ts'),
            '--targets',
            'stock,off',
            '--clients',
            '12',
            '--rooms',
            '3',
            '--rate',
            '5',
            '--duration',
            '2',
            '--rounds',
            '1',
            '--no-saturation',
            '--json',
            json,
          ],
          { cwd: SERVER_ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' } }
        );
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
        child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
        const t = setTimeout(() => child.kill('SIGKILL'), 100_000);
        child.on('error', reject);
        child.on('exit', (c) => {
          clearTimeout(t);
          resolve({ code: c, stdout, stderr });
        });
      });
      expect(code, stderr).toBe(0);
      expect(stdout).toContain('=== steady load ===');
      expect(stdout).toMatch(/ours, observability off\s+60\s/);
      const out = JSON.parse(readFileSync(json, 'utf8')) as BenchJson;
      expect(out.results.map((r) => r.kind)).toEqual(['stock', 'off']);
      for (const r of out.results) {
        // 12 clients × 5/s × 2 s = 120 updates, each to 3 peers.
        expect(r.main.received).toBeGreaterThan(200);
        expect(r.main.delivery).toBeGreaterThanOrEqual(0.99);
        expect(r.main.p50).toBeGreaterThan(0);
        expect(r.main.p99).toBeGreaterThanOrEqual(r.main.p50);
        expect(r.main.serverUsPerDelivery).toBeGreaterThan(0);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
