/**
 * The inspect token routes on the pod's HTTP router: `POST /api/inspect/token` and
 * `/api/inspect/token/{content,metadata}`, decided by the monitor's `answerTokenRequest`
 * (authenticated by the org API key, `Authorization: Bearer <key>`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { InspectScope } from '@collabblocks/protocol';
import { answerTokenRequest, apiKeyId, bearerToken, type OrgKeyAuth } from '@collabblocks/monitor';
import { readJsonBody, sendJson } from '../http/router.js';

export interface TokenRouteDeps {
  secret: Uint8Array;
  authenticateOrgKey(req: IncomingMessage): OrgKeyAuth | null;
}

/** The org API key of the request with its key id (minted tokens carry it: per-key session cap). */
function keyAuth(deps: TokenRouteDeps, req: IncomingMessage): OrgKeyAuth | null {
  const auth = deps.authenticateOrgKey(req);
  const key = auth ? bearerToken(req) : null;
  return auth && key !== null ? { ...auth, keyId: apiKeyId(deps.secret, key) } : auth;
}

export function tokenHandler(deps: TokenRouteDeps, fixedScope?: InspectScope) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const auth = keyAuth(deps, req);
    // No key: answered before the body is read.
    const body = auth ? await readJsonBody(req, 4096) : undefined;
    const answer = await answerTokenRequest(deps.secret, auth, body, fixedScope);
    sendJson(res, answer.status, answer.body);
  };
}
