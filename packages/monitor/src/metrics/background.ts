/**
 * Background samplers of the metrics module: process CPU / memory, storage
 * sizes per org (from `storage.stats()`, never at scrape time) and the room
 * folding rotation. Timers are unref'd and stopped by `stop()`.
 */
import { errorMessage } from '@collabblocks/protocol';
import type { WarnLogger } from './events.js';

/** Process CPU time as a fraction of one core between successive calls. */
export class CpuSampler {
  private last = process.cpuUsage();
  private lastAt = process.hrtime.bigint();

  sample(): number {
    const now = process.hrtime.bigint();
    const usage = process.cpuUsage();
    const cpuMicros = usage.user - this.last.user + (usage.system - this.last.system);
    const wallMicros = Number(now - this.lastAt) / 1000;
    this.last = usage;
    this.lastAt = now;
    return wallMicros > 0 ? Math.max(0, cpuMicros / wallMicros) : 0;
  }
}

/** Sums per-room storage sizes by org. */
export function bytesByOrg(stats: readonly { org: string; bytes: number }[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of stats) {
    if (typeof s.org !== 'string' || !Number.isFinite(s.bytes)) continue;
    out.set(s.org, (out.get(s.org) ?? 0) + s.bytes);
  }
  return out;
}

export interface Ticker {
  stop(): void;
}

/** Runs `fn` every `ms` (unref'd); an async `fn` never overlaps itself; throws are logged, rate-limited. */
export function every(ms: number, fn: () => void | Promise<void>, logger: WarnLogger, what: string): Ticker {
  let running = false;
  let lastWarn = 0;
  const warn = (err: unknown) => {
    const t = Date.now();
    if (t - lastWarn < 60_000) return;
    lastWarn = t;
    logger.warn({ err: errorMessage(err), task: what }, 'metrics task failed');
  };
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    try {
      const r = fn();
      if (r instanceof Promise) {
        r.catch(warn).finally(() => {
          running = false;
        });
        return;
      }
    } catch (err) {
      warn(err);
    }
    running = false;
  }, ms);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
