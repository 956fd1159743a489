/**
 * Live queries: subscribe a stream on every pod, fold the events into state,
 * emit frames (throttled) with LoadingState.Streaming. Pod errors are kept
 * per pod and shown until that pod delivers data again; when every pod is
 * failing the response state is Error. Unsubscribing releases every pod
 * subscription (and, through ref counting, the sockets).
 */
import { filter, map, merge, Observable } from 'rxjs';
import { type DataFrame, type DataQueryResponse, LoadingState } from '@grafana/data';

import type { Notice } from '../data/common';
import type { PodConnection } from '../stream/podConnection';
import type { StreamEvent, StreamRequest } from '../stream/types';
import { describeError, podMatches, response, type RunContext } from './context';

export interface LiveHandler {
  /** Fold one message event; return true when the frames changed. */
  onEvent(ev: Extract<StreamEvent, { type: 'message' }>): boolean;
  /** Sees every event first (errors and statuses too); return true when the frames changed. */
  onAny?(ev: StreamEvent): boolean;
  /** A pod connection dropped (its state should be forgotten). */
  onPodLost?(pod: string): void;
  frames(): DataFrame[];
  /** Emit an (empty) frame at once (default true); annotations wait for their first event. */
  initialEmit?: boolean;
  /** Non-fatal notices about the current frames (truncation…): `meta.notices`, never errors. */
  notices?(): Notice[];
  /** A query-level failure that is not a pod's (e.g. no pod matches the filter): shown as an error. */
  errors?(): string[];
}

export function liveQuery(
  ctx: RunContext,
  req: StreamRequest | StreamRequest[],
  handler: LiveHandler
): Observable<DataQueryResponse> {
  return new Observable<DataQueryResponse>((subscriber) => {
    const podErrors = new Map<string, string>();
    const conns = ctx.conns;
    let timer: ReturnType<typeof setTimeout> | null = null;
    let lastEmit = 0;
    let gotData = false;

    let changedOnce = false;
    const filterCheck = ctx.pod ? new PodFilterCheck(ctx.pod, conns) : null;
    const emitNow = (): void => {
      timer = null;
      if (handler.initialEmit === false && !changedOnce && podErrors.size === 0) return;
      lastEmit = Date.now();
      const filterError = filterCheck?.error ?? null;
      const errors = [
        ...(filterError ? [filterError] : []),
        ...podErrors.values(),
        ...(handler.errors?.() ?? []),
      ];
      const allFailing = filterError !== null || podErrors.size >= (ctx.pod ? 1 : conns.length);
      subscriber.next(
        response(
          ctx,
          allFailing && !gotData ? LoadingState.Error : LoadingState.Streaming,
          handler.frames(),
          errors,
          handler.notices?.() ?? []
        )
      );
    };
    const emitSoon = (): void => {
      if (timer) return;
      const wait = Math.max(0, lastEmit + ctx.throttleMs - Date.now());
      if (wait === 0) emitNow();
      else timer = setTimeout(emitNow, wait);
    };

    if (conns.length === 0) {
      subscriber.next(response(ctx, LoadingState.Error, [], ['no pod URL configured for this datasource']));
      subscriber.complete();
      return undefined;
    }
    // Show an (empty) streaming frame at once so panels know the query is live.
    if (handler.initialEmit !== false) emitNow();

    // With a pod filter every pod is still subscribed (names are only known after `hello`),
    // and events of other pods are dropped — once every pod has said its name (or failed) and none
    // matches, the query fails with the names it could have used instead of streaming empty frames.
    const reqs = Array.isArray(req) ? req : [req];
    // Errors are kept per connection (a pod's name is only known after `hello`).
    const streams = conns.flatMap((c) =>
      reqs.map((r) =>
        c.stream(r).pipe(
          filter((ev) => {
            if (filterCheck?.see(c, ev)) emitSoon();
            return podMatches(ctx, c, ev.pod);
          }),
          map((ev) => [c.url, ev] as const)
        )
      )
    );
    const sub = merge(...streams).subscribe(([conn, ev]) => {
      if (handler.onAny?.(ev)) {
        changedOnce = true;
        emitSoon();
      }
      if (ev.type === 'error') {
        podErrors.set(conn, describeError(ev));
        if (ev.code === 'connection' || ev.code === 'auth' || ev.code === 'timeout')
          handler.onPodLost?.(ev.pod);
        emitSoon();
        return;
      }
      if (ev.type === 'status') {
        return;
      }
      if (ev.msg.type === 'subscribed') {
        podErrors.delete(conn);
        emitSoon();
        return;
      }
      if (handler.onEvent(ev)) {
        gotData = true;
        changedOnce = true;
        podErrors.delete(conn);
        emitSoon();
      }
    });
    return () => {
      if (timer) clearTimeout(timer);
      sub.unsubscribe();
    };
  });
}

/**
 * Watches which pods a live query's pod filter could match. A pod's name is only known once it has
 * said `hello` (a `live` status or any message); a pod that fails before that is unknown. When every
 * pod is named or failed and none matches the filter (by name or URL), `error` says so and lists the
 * names seen; it clears when a matching pod shows up (e.g. it comes back under that name).
 */
export class PodFilterCheck {
  private readonly named = new Map<string, string>();
  private readonly failed = new Set<string>();
  private matched = false;
  error: string | null = null;

  constructor(
    private readonly pod: string,
    private readonly conns: readonly PodConnection[]
  ) {}

  /** Folds one event of `conn`; true when `error` changed. Nothing to do once a pod matched. */
  see(conn: PodConnection, ev: StreamEvent): boolean {
    if (this.matched) return false;
    if (ev.type === 'message' || (ev.type === 'status' && ev.status === 'live')) {
      this.named.set(conn.url, conn.podName);
      this.failed.delete(conn.url);
    } else if (ev.type === 'error' && !this.named.has(conn.url)) {
      this.failed.add(conn.url);
    }
    if (podMatches({ pod: this.pod }, conn, ev.pod)) this.matched = true;
    const before = this.error;
    this.error = this.compute();
    return this.error !== before;
  }

  private compute(): string | null {
    if (this.matched) return null;
    if (this.conns.some((c) => !this.named.has(c.url) && !this.failed.has(c.url))) return null;
    const names = [...new Set(this.named.values())].sort();
    const unreachable = this.conns.filter((c) => this.failed.has(c.url)).map((c) => c.url);
    return (
      `no pod named "${this.pod.slice(0, 100)}": ` +
      (names.length ? `the pods are ${names.join(', ')}` : 'no pod said its name') +
      (unreachable.length ? `; not reachable: ${unreachable.join(', ')}` : '') +
      ' — check the Pod field (or its variable), or leave it empty for every pod'
    );
  }
}
