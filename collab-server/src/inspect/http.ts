/**
 * The inspect token routes on the pod's HTTP router: `POST /api/inspect/token` and
 * `/api/inspect/token/{content,metadata}`, decided by the monitor's `answerTokenRequest`
 * (authenticated by the org API key, `Authorization: Bearer <key>`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { InspectScope } from '@collabblocks/protocol';
import { answerTokenRequest, type OrgKeyAuth } from '@collabblocks/monitor';
import { readJsonBody, sendJson } from '../http/router.js';

export interface TokenRouteDeps {
  secret: Uint8Array;
  authenticateOrgKey(req: IncomingMessage): OrgKeyAuth | null;
}

export function tokenHandler(deps: TokenRouteDeps, fixedScope?: InspectScope) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const auth = deps.authenticateOrgKey(req);
    // No key: answered before the body is read.
    const body = auth ? await readJsonBody(req, 4096) : undefined;
    const answer = await answerTokenRequest(deps.secret, auth, body, fixedScope);
    sendJson(res, answer.status, answer.body);
  };
}
