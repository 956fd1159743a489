/**
 * Health check: for every pod — mint a token (through the data proxy), open
 * the inspect socket, authenticate and list rooms. Reports which pods failed and why.
 */
import type { TestDataSourceResponse } from '@grafana/data';
import { FRAME_LIMITS } from '@collabblocks/protocol';

import { deadlineIn, fetchRooms } from './query/oneShot';
import type { PodPool } from './stream/pool';
import type { TokenSource } from './stream/tokens';

/** What the health check needs of a datasource instance. */
export interface HealthTarget {
  readonly podUrls: readonly string[];
  readonly pool: PodPool;
  readonly tokens: TokenSource;
  /** How tokens are minted and what to check when that fails (default: the browser's data-proxy route). */
  readonly mint?: { via: string; check: string };
}

export async function runTestDatasource(ds: HealthTarget): Promise<TestDataSourceResponse> {
  if (ds.podUrls.length === 0) {
    return { status: 'error', message: 'Add at least one pod URL (jsonData.podUrls).' };
  }
  ds.tokens.invalidate();
  try {
    await ds.tokens.get();
  } catch (err) {
    return {
      status: 'error',
      message: `Could not mint an inspect token ${ds.mint?.via ?? 'through the data proxy'}: ${(err as Error).message}. ${ds.mint?.check ?? 'Check the API key and jsonData.tokenUrl.'}`,
    };
  }
  const results = await Promise.all(
    ds.podUrls.map(async (url) => {
      const conn = ds.pool.get(url);
      const ac = new AbortController();
      try {
        const r = await fetchRooms(conn, deadlineIn(FRAME_LIMITS.oneShotTimeoutMs), ac.signal);
        return { url, ok: true as const, text: `${r.pod}: ${r.rooms.length} rooms` };
      } catch (err) {
        const msg =
          (err as Error).message === 'timeout'
            ? `no answer within ${FRAME_LIMITS.oneShotTimeoutMs} ms`
            : (err as Error).message;
        return { url, ok: false as const, text: `${url}: ${msg}` };
      }
    })
  );
  const failed = results.filter((r) => !r.ok);
  const scope = ds.tokens.currentScope;
  const scopeText = `scope ${scope}${ds.tokens.downgraded ? ' (content refused, using metadata)' : ''}`;
  if (failed.length === 0) {
    return {
      status: 'success',
      message: `All ${results.length} pods reachable (${scopeText}): ${results.map((r) => r.text).join('; ')}`,
    };
  }
  return {
    status: 'error',
    message: `${failed.length} of ${results.length} pods failed: ${failed.map((r) => r.text).join('; ')}`,
    details: { message: results.map((r) => `${r.ok ? 'ok' : 'FAILED'} ${r.text}`).join('\n') },
  };
}
