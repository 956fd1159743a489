/**
 * Collab annotations through the backend. The `annotations` kind is a live log (joins, leaves, room loads and
 * unloads, prunes, inspect errors) that never completes, while Grafana runs an annotation query as a one-shot
 * over the dashboard's time range. So the backend records: the first annotation query for a (scope, room)
 * starts a recording — the browser's runner (`annotationsQuery`, src/query/runners.ts) folding into a log kept
 * here — and every query, the first included, answers at once with the recorded events in its range, a notice
 * saying since when the recording runs when the range starts earlier. A recording nobody asked for within
 * `idleMs` ends (its pod subscriptions close); at most `max` per instance (the least recently asked ends).
 */
import type { DataFrame, DataQueryResponse } from '@grafana/data';
import type { Observable, Subscription } from 'rxjs';
import { errorMessage } from '@collabblocks/protocol';

import { AnnotationLog } from '../../../src/query/annotations';

interface Recording {
  readonly log: AnnotationLog;
  readonly since: number;
  lastAsked: number;
  sub: Subscription | null;
  error: string | null;
}

export interface AnnotationRecorderOptions {
  /** A recording nobody asked for this long ends (default 15 min). */
  idleMs?: number;
  /** Recordings per instance (default 32). */
  max?: number;
  now?: () => number;
}

export class AnnotationRecorder {
  private readonly recordings = new Map<string, Recording>();
  private readonly idleMs: number;
  private readonly max: number;
  private readonly now: () => number;
  private sweeper: ReturnType<typeof setInterval> | null = null;

  constructor(opts: AnnotationRecorderOptions = {}) {
    this.idleMs = opts.idleMs ?? 15 * 60_000;
    this.max = Math.max(1, opts.max ?? 32);
    this.now = opts.now ?? Date.now;
  }

  get size(): number {
    return this.recordings.size;
  }

  /**
   * The recorded events of `key` within the range as an annotation frame; the recording is started with
   * `start(log)` when there is none yet.
   */
  frame(
    key: string,
    start: (log: AnnotationLog) => Observable<DataQueryResponse>,
    refId: string,
    range: { fromMs: number; toMs: number }
  ): DataFrame {
    const now = this.now();
    let rec = this.recordings.get(key);
    if (!rec) {
      this.evictFor(1);
      const created: Recording = {
        log: new AnnotationLog(),
        since: now,
        lastAsked: now,
        sub: null,
        error: null,
      };
      this.recordings.set(key, created);
      created.sub = start(created.log).subscribe({
        error: (err: unknown) => {
          created.error = errorMessage(err);
          created.sub = null;
        },
      });
      rec = created;
      this.sweeper ??= setInterval(() => this.sweep(), Math.min(60_000, this.idleMs)).unref();
    }
    rec.lastAsked = now;
    const notices = [];
    if (range.fromMs < rec.since) {
      notices.push({
        severity: 'info' as const,
        text: `collab annotations are recorded by the datasource's backend since ${new Date(rec.since).toISOString()}: nothing earlier is known`,
      });
    }
    if (rec.error)
      notices.push({ severity: 'warning' as const, text: `annotation recording ended: ${rec.error}` });
    const out = rec.log.frame(refId, range, notices);
    // A recording that failed is started afresh by the next query.
    if (rec.error) this.end(key);
    return out;
  }

  /** Ends recordings nobody asked for within idleMs. */
  sweep(): void {
    const cutoff = this.now() - this.idleMs;
    for (const [key, rec] of this.recordings) if (rec.lastAsked < cutoff) this.end(key);
  }

  dispose(): void {
    for (const key of [...this.recordings.keys()]) this.end(key);
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = null;
  }

  private evictFor(n: number): void {
    while (this.recordings.size + n > this.max) {
      let oldest: string | null = null;
      let at = Infinity;
      for (const [key, rec] of this.recordings) {
        if (rec.lastAsked < at) {
          at = rec.lastAsked;
          oldest = key;
        }
      }
      if (oldest === null) return;
      this.end(oldest);
    }
  }

  private end(key: string): void {
    const rec = this.recordings.get(key);
    if (!rec) return;
    this.recordings.delete(key);
    rec.sub?.unsubscribe();
  }
}
