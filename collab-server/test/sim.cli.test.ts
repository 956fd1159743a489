/**
 * The simulator CLI as a real process: progress lines while running, the
 * summary on SIGINT, a clear error (exit 2) on bad input.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVER_ROOT, startStockServer, type RunningServer } from '../bench/servers.js';

const MAIN = path.join(SERVER_ROOT, 'src', 'sim', 'main.ts');

/** Runs the CLI; with `sigintWhen`, sends SIGINT once stdout matches it (or after 25 s). */
function runCli(
  args: string[],
  env: Record<string, string>,
  sigintWhen?: RegExp
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
      cwd: SERVER_ROOT,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let interrupted = false;
    const interrupt = (): void => {
      if (interrupted) return;
      interrupted = true;
      child.kill('SIGINT');
    };
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      if (sigintWhen && sigintWhen.test(stdout)) interrupt();
    });
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const kill = setTimeout(() => child.kill('SIGKILL'), 40_000);
    const fallback = sigintWhen ? setTimeout(interrupt, 25_000) : undefined;
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(kill);
      clearTimeout(fallback);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('sim CLI', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startStockServer();
  }, 20_000);
  afterAll(async () => {
    await server?.stop();
  });

  it('prints progress, then the summary on SIGINT', async () => {
    const r = await runCli(
      ['--url', server.url, '--clients', '8', '--rooms', '4', '--rate', '30', '--progress-interval', '500'],
      { COLLAB_JWT_SECRET: 'test-secret-test-secret-test-secret-0123' },
      // Interrupt once bots are connected and have edited (robust to a slow machine).
      /\[sim \d+s\] bots [1-8]\/8 connected \| ops [1-9]\d*/
    );
    expect(r.stderr).not.toMatch(/fatal/);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\[sim \d+s\] bots [1-8]\/8 connected \| ops [1-9]\d*/);
    expect(r.stdout).toContain('SIGINT: stopping bots');
    expect(r.stdout).toContain('=== simulation summary ===');
    expect(r.stdout).toMatch(/ops sent\s+[1-9]\d*/);
    expect(r.stdout).toMatch(/\n {2}acme\s+\d+/);
  }, 60_000);

  it('stops by itself after --duration, configured from env', async () => {
    const r = await runCli(['--no-auth', '--duration', '1500ms'], {
      SIM_URLS: server.url,
      SIM_CLIENTS: '4',
      SIM_ROOMS: '2',
      SIM_ORGS: '2',
      SIM_RATE: '20',
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('4 bots in 2/2 rooms over 2 orgs');
    expect(r.stdout).toContain('=== simulation summary ===');
  }, 60_000);

  it('rejects bad input with a clear message and exit code 2', async () => {
    const bad = await runCli(['--rate', 'lots', '--no-auth'], {});
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--rate must be a number');
    const noSecret = await runCli([], {});
    expect(noSecret.code).toBe(2);
    expect(noSecret.stderr).toContain('COLLAB_JWT_SECRET is not set');
    const badUrl = await runCli(['--url', 'http://x', '--no-auth'], {});
    expect(badUrl.code).toBe(2);
    expect(badUrl.stderr).toContain('ws:// or wss://');
  }, 60_000);
});
