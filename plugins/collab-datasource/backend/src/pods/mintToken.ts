/**
 * Mints inspect tokens with the datasource's API key from any healthy pod: `POST <pod>/api/inspect/token/<scope>`.
 * Pods are tried starting from the last one that answered; a pod that is unreachable or fails (5xx) is
 * skipped, a refusal of the key (401 / 403) is the answer (every pod shares the key store). The key never
 * leaves this process except in the Authorization header to a configured pod.
 */
import { errorMessage, type InspectScope } from '@collabblocks/protocol';

import { HttpStatusError, type TokenFetcher } from '../../../src/stream/tokens';

export interface MintOptions {
  podUrls: readonly string[];
  apiKey: string;
  ttlSeconds?: number;
  /** Per pod (default 5 s). */
  timeoutMs?: number;
  fetch?: typeof globalThis.fetch;
}

export function tokenFetcher(opts: MintOptions): TokenFetcher {
  let preferred = 0;
  const doFetch = opts.fetch ?? globalThis.fetch;
  return async (scope: InspectScope) => {
    if (opts.podUrls.length === 0) throw new Error('no pod URL configured');
    if (!opts.apiKey) throw new HttpStatusError(401, 'no API key configured (secureJsonData.apiKey)');
    const failures: string[] = [];
    for (let k = 0; k < opts.podUrls.length; k++) {
      const i = (preferred + k) % opts.podUrls.length;
      const pod = opts.podUrls[i]!;
      let res: Response;
      try {
        res = await doFetch(`${pod.replace(/\/+$/, '')}/api/inspect/token/${scope}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${opts.apiKey}`, 'content-type': 'application/json' },
          body: JSON.stringify(opts.ttlSeconds ? { ttlSeconds: opts.ttlSeconds } : {}),
          signal: AbortSignal.timeout(opts.timeoutMs ?? 5000),
        });
      } catch (err) {
        failures.push(`${pod}: ${errorMessage(err)}`);
        continue;
      }
      const text = await res.text().catch(() => '');
      if (res.status === 401 || res.status === 403) {
        throw new HttpStatusError(
          res.status,
          `token (${scope}) HTTP ${res.status} from ${pod}: ${detail(text)}`
        );
      }
      if (!res.ok) {
        failures.push(`${pod}: HTTP ${res.status} ${detail(text)}`);
        continue;
      }
      preferred = i;
      try {
        return JSON.parse(text) as unknown;
      } catch {
        failures.push(`${pod}: token endpoint returned no JSON`);
      }
    }
    throw new HttpStatusError(0, `no pod minted a ${scope} token: ${failures.join('; ')}`);
  };
}

function detail(body: string): string {
  try {
    const o = JSON.parse(body) as { error?: unknown; message?: unknown };
    return String(o.error ?? o.message ?? '').slice(0, 200);
  } catch {
    return body.slice(0, 200);
  }
}
