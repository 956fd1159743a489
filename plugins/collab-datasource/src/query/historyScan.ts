/**
 * The newest matching entries of a room's update log in a time range, read from a pod that only pages
 * forward (oldest first). A dashboard looks at the END of its range, so the range is walked backwards in
 * time windows: each window [lo, hi] is read whole (oldest first, as the pod pages), filtered while
 * reading, and prepended; the walk stops once more than `cap` entries matched, at the range start, or at
 * the budget (requests, deadline). A window holding more than one page is not paged through: it is
 * narrowed (from the density its first page shows) and asked again, so the walk reaches the newest
 * entries in a few requests however busy the range is. Pure apart from `fetchPage`.
 */
import type { UpdateSummary } from '@collabblocks/protocol';

export interface HistoryPage {
  entries: UpdateSummary[];
  /** Non-null when the window holds more entries than the page (pass as afterSeq for the next page). */
  nextAfterSeq: number | null;
}

/** One history request: entries with fromTs <= ts <= toTs (and seq > afterSeq), oldest first, at most one page. */
export type FetchHistoryPage = (fromTs: number, toTs: number, afterSeq?: number) => Promise<HistoryPage>;

export interface NewestScanOptions {
  fromTs: number;
  toTs: number;
  /** Matching entries wanted (the frame's row cap); the scan stops once more than this matched. */
  cap: number;
  /** Entries per page the pod returns at most (the request's `limit`). */
  pageSize: number;
  /** Most requests this scan may send. */
  maxRequests: number;
  /** The text filter (applied before the cap). */
  accept: (e: UpdateSummary) => boolean;
  /** True when no further request should be started (e.g. too close to the query's deadline). */
  outOfTime?: () => boolean;
}

export interface NewestScan {
  /** The newest matching entries (at most cap + 1), oldest first. */
  entries: UpdateSummary[];
  /** More than `cap` entries match in the part searched. */
  more: boolean;
  /** Every entry from `searchedFrom` to `toTs` was examined; `complete` when that is the whole range. */
  searchedFrom: number;
  complete: boolean;
  /** Entries examined and requests sent. */
  scanned: number;
  requests: number;
  /** A request failed after part of the range was searched: its message (what was found is kept). */
  stoppedBy?: string;
}

/** Walks the range backwards (see the module comment); never throws itself (fetchPage may). */
export async function scanNewest(fetchPage: FetchHistoryPage, o: NewestScanOptions): Promise<NewestScan> {
  // Newest windows first; each window's matches oldest first.
  const windows: UpdateSummary[][] = [];
  let matched = 0;
  let scanned = 0;
  let requests = 0;
  let hi = o.toTs;
  let width = Math.max(1, o.toTs - o.fromTs + 1);
  const budgetLeft = (): boolean => requests < o.maxRequests && !(o.outOfTime?.() ?? false);
  const done = (stoppedBy?: string): NewestScan => {
    const all = windows.reverse().flat();
    const entries = all.length > o.cap + 1 ? all.slice(all.length - (o.cap + 1)) : all;
    const searchedFrom = hi + 1;
    return {
      entries,
      more: matched > o.cap,
      searchedFrom,
      complete: searchedFrom <= o.fromTs,
      scanned,
      requests,
      ...(stoppedBy !== undefined ? { stoppedBy } : {}),
    };
  };
  // A failing request ends the scan: with nothing searched yet it is the pod's failure (thrown), later it
  // only shortens the part searched.
  const fetch = async (lo: number, hi: number, afterSeq?: number): Promise<HistoryPage | string> => {
    requests += 1;
    try {
      return await fetchPage(lo, hi, afterSeq);
    } catch (err) {
      if (windows.length === 0) throw err;
      return (err as Error)?.message ?? String(err);
    }
  };

  // The last dense page seen: entries reach up to `lastTs` there, and `est` is a window width holding about
  // half a page at that density (measured on the page's newer half, i.e. right below lastTs).
  let dense: { lastTs: number; est: number } | null = null;
  const half = Math.max(1, Math.floor(o.pageSize / 2));
  while (hi >= o.fromTs && matched <= o.cap) {
    if (!budgetLeft()) return done();
    let lo = Math.max(o.fromTs, hi - width + 1);
    // Never guess a window across a known dense point: read the gap above it first.
    if (dense && dense.lastTs < hi) lo = Math.max(lo, dense.lastTs + 1);
    const first = await fetch(lo, hi);
    if (typeof first === 'string') return done(first);
    const n = first.entries.length;
    if (first.nextAfterSeq !== null && n > 0 && lo < hi) {
      // More than one page in [lo, hi]: the page holds its oldest entries. Ask again for a narrower window
      // ending at hi, sized from the density just below the page's last entry.
      const lastTs = Math.min(hi, first.entries[n - 1]?.ts ?? lo);
      const mid = first.entries[Math.floor(n / 2)]?.ts ?? lo;
      const span = Math.max(1, lastTs - mid + 1);
      const est = Math.max(1, Math.floor((half * span) / Math.max(1, n - Math.floor(n / 2))));
      dense = { lastTs, est };
      width = lastTs >= hi ? 1 : Math.max(1, Math.min(est, Math.floor((hi - lo + 1) / 2)));
      continue;
    }
    // The window is read whole: one page, or a single millisecond paged through.
    const found: UpdateSummary[] = [];
    let page = first;
    let count = 0;
    for (;;) {
      count += page.entries.length;
      for (const e of page.entries) if (o.accept(e)) found.push(e);
      if (page.nextAfterSeq === null || page.entries.length === 0) break;
      if (!budgetLeft()) {
        // Not read whole: nothing of it counts as searched (its newest entries are the ones missing).
        scanned += count;
        return done();
      }
      const next = await fetch(lo, hi, page.nextAfterSeq);
      if (typeof next === 'string') {
        scanned += count;
        return done(next);
      }
      page = next;
    }
    scanned += count;
    windows.push(found.length > o.cap + 1 ? found.slice(found.length - (o.cap + 1)) : found);
    matched += found.length;
    const read = hi - lo + 1;
    hi = lo - 1;
    if (dense && dense.lastTs >= hi) {
      // Down to the dense point: continue at its density.
      width = dense.est;
      dense = null;
    } else if (dense && count < o.pageSize / 4) {
      // Sparse here, dense further down: take the whole gap down to the dense point at once.
      width = hi - dense.lastTs;
    } else {
      // Aim at half a page from this window's density, growing at most 8× at a time.
      width = count > 0 ? Math.max(1, Math.min(read * 8, Math.floor((read * half) / count))) : read * 8;
    }
  }
  return done();
}
