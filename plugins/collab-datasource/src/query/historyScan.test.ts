import { describe, expect, it } from 'vitest';
import type { UpdateSummary } from '@collabblocks/protocol';

import { type FetchHistoryPage, scanNewest } from './historyScan';
import { historyPage } from './historyScan.testutil';

const entry = (seq: number, ts: number, paths = ['/t']): UpdateSummary => ({
  seq,
  ts,
  clientId: 1,
  origin: 'client',
  bytes: 10,
  inserted: 1,
  deleted: 0,
  paths,
});

/** A pod answering history requests over `log` (seq order), `limit` entries per page; records the requests. */
function fakePod(log: UpdateSummary[], limit: number) {
  const calls: Array<{ fromTs: number; toTs: number; afterSeq?: number }> = [];
  const fetch: FetchHistoryPage = async (fromTs, toTs, afterSeq) => {
    calls.push({ fromTs, toTs, ...(afterSeq !== undefined ? { afterSeq } : {}) });
    return historyPage(log, { fromTs, toTs, afterSeq, limit });
  };
  return { fetch, calls };
}

const all = () => true;

/** scanNewest over `pod` with the datasource's defaults (10,000 rows, 10,000 per page, 16 requests, no filter). */
const scan = (
  pod: { fetch: FetchHistoryPage },
  opts: Partial<Parameters<typeof scanNewest>[1]> & { toTs: number }
) =>
  scanNewest(pod.fetch, { fromTs: 0, cap: 10_000, pageSize: 10_000, maxRequests: 16, accept: all, ...opts });

describe('history scan: the newest matching entries of a range', () => {
  it('a small range is one request, read whole', async () => {
    const log = Array.from({ length: 50 }, (_, i) => entry(i + 1, 1000 + i));
    const pod = fakePod(log, 100);
    const r = await scan(pod, { toTs: 5000, cap: 100, pageSize: 100 });
    expect(pod.calls).toEqual([{ fromTs: 0, toTs: 5000 }]);
    expect(r.entries.map((e) => e.seq)).toEqual(log.map((e) => e.seq));
    expect(r).toMatchObject({ more: false, complete: true, scanned: 50, requests: 1 });
  });

  it('a range holding more than the cap keeps the NEWEST entries, in a few requests', async () => {
    // 35,000 updates, one per 100 ms.
    const log = Array.from({ length: 35_000 }, (_, i) => entry(i + 1, 100 * i));
    const pod = fakePod(log, 10_000);
    const r = await scan(pod, { toTs: 100 * 35_000 });
    expect(r.more).toBe(true);
    const seqs = r.entries.map((e) => e.seq as number);
    expect(seqs.at(-1)).toBe(35_000);
    expect(seqs.length).toBe(10_001);
    expect(seqs).toEqual(Array.from({ length: 10_001 }, (_, i) => 35_000 - 10_000 + i));
    expect(r.requests).toBeLessThanOrEqual(6);
  });

  it('a busy day: the newest of 200,000 updates in a handful of requests', async () => {
    const log = Array.from({ length: 200_000 }, (_, i) => entry(i + 1, i * 432));
    const pod = fakePod(log, 10_000);
    const r = await scan(pod, { toTs: 86_400_000 });
    expect(r.more).toBe(true);
    expect(r.entries.at(-1)?.seq).toBe(200_000);
    expect(r.entries[0]?.seq).toBe(200_000 - 10_000);
    expect(r.requests).toBeLessThanOrEqual(6);
  });

  it('filters while reading: every match of a big range is found, not only those in the first pages', async () => {
    // 50,000 updates, every 1,000th touches /special.
    const log = Array.from({ length: 50_000 }, (_, i) =>
      entry(i + 1, 10 * i, (i + 1) % 1000 === 0 ? ['/special/x'] : ['/t'])
    );
    const pod = fakePod(log, 10_000);
    const r = await scan(pod, {
      toTs: 10 * 50_000,
      accept: (e) => e.paths.some((p) => p.includes('special')),
    });
    expect(r.complete).toBe(true);
    expect(r.more).toBe(false);
    expect(r.entries.map((e) => e.seq)).toEqual(Array.from({ length: 50 }, (_, i) => (i + 1) * 1000));
    expect(r.requests).toBeLessThanOrEqual(16);
    expect(r.scanned).toBe(50_000);
  });

  it('a burst at the end of a long sparse range: the newest entries come from the burst', async () => {
    const sparse = Array.from({ length: 200 }, (_, i) => entry(i + 1, i * 60_000)); // one a minute
    const burstStart = 86_000_000;
    const burst = Array.from({ length: 30_000 }, (_, i) => entry(201 + i, burstStart + Math.floor(i / 10)));
    const pod = fakePod([...sparse, ...burst], 10_000);
    const r = await scan(pod, { toTs: 86_400_000 });
    expect(r.more).toBe(true);
    expect(r.entries.at(-1)?.seq).toBe(30_200);
    expect(r.entries[0]?.seq).toBe(30_200 - 10_000);
    expect(r.requests).toBeLessThanOrEqual(10);
    // Windows partition the range by millisecond: no entry twice.
    expect(new Set(r.entries.map((e) => e.seq)).size).toBe(r.entries.length);
  });

  it('many updates in one millisecond are paged through', async () => {
    const log = Array.from({ length: 2_500 }, (_, i) => entry(i + 1, 5000));
    const pod = fakePod(log, 1_000);
    const r = await scan(pod, { fromTs: 5000, toTs: 5000, pageSize: 1_000 });
    expect(r.entries.length).toBe(2_500);
    expect(r).toMatchObject({ complete: true, more: false, requests: 3 });
  });

  it('at the request bound: the newest part searched is returned and says where the search stopped', async () => {
    const log = Array.from({ length: 50_000 }, (_, i) => entry(i + 1, 10 * i, i === 5 ? ['/rare'] : ['/t']));
    const pod = fakePod(log, 10_000);
    const r = await scan(pod, { toTs: 500_000, maxRequests: 3, accept: (e) => e.paths.includes('/rare') });
    expect(r.complete).toBe(false);
    expect(r.more).toBe(false);
    expect(r.requests).toBe(3);
    expect(r.entries).toEqual([]); // the one match is older than the part searched
    expect(r.searchedFrom).toBeGreaterThan(0);
    expect(r.searchedFrom).toBeLessThanOrEqual(500_000);
    // Deadline: no request at all once out of time.
    const late = await scan(pod, { toTs: 500_000, cap: 10, outOfTime: () => true });
    expect(late).toMatchObject({ requests: 0, complete: false, entries: [], searchedFrom: 500_001 });
  });

  it('a failing request: thrown before anything was searched, else the part searched is kept', async () => {
    const log = Array.from({ length: 30_000 }, (_, i) => entry(i + 1, 10 * i));
    const pod = fakePod(log, 10_000);
    let n = 0;
    const failingAfter =
      (ok: number): FetchHistoryPage =>
      async (...args) => {
        if (++n > ok) throw new Error('pod-1: storage read failed (storage_error)');
        return pod.fetch(...args);
      };
    await expect(scan({ fetch: failingAfter(0) }, { toTs: 300_000 })).rejects.toThrow(/storage read failed/);
    n = 0;
    // First request: dense (narrowed); second: a whole window; third fails.
    const r = await scan({ fetch: failingAfter(2) }, { toTs: 300_000 });
    expect(r.stoppedBy).toMatch(/storage read failed/);
    expect(r.complete).toBe(false);
    expect(r.entries.length).toBeGreaterThan(0);
    expect(r.entries.at(-1)?.seq).toBe(30_000);
  });
});
