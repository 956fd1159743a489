/**
 * A pod's history paging for tests, as collab-server/src/inspect/history.ts answers a `history` request:
 * readRange(fromTs, toTs), or readAfter(afterSeq) up to toTs, reading limit + 1 entries to know whether more remain.
 */
export function historyPage<E extends { seq?: number; ts: number }>(
  log: readonly E[],
  q: { fromTs: number; toTs: number; afterSeq?: number | undefined; limit: number }
): { entries: E[]; nextAfterSeq: number | null } {
  const rows: E[] = [];
  for (const e of log) {
    if (q.afterSeq !== undefined && (e.seq ?? 0) <= q.afterSeq) continue;
    if (q.afterSeq !== undefined && e.ts > q.toTs) break;
    if (e.ts < q.fromTs || e.ts > q.toTs) continue;
    rows.push(e);
    if (rows.length > q.limit) break;
  }
  const more = rows.length > q.limit;
  const entries = more ? rows.slice(0, q.limit) : rows;
  return { entries, nextAfterSeq: more ? (entries.at(-1)?.seq ?? null) : null };
}
