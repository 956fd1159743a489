/**
 * `POST /api/inspect/token` (body `{scope, ttlSeconds?}`) and
 * `POST /api/inspect/token/content` / `.../metadata` (scope from the path,
 * body optional: `{ttlSeconds?}`), authenticated by the org API key
 * (`Authorization: Bearer <key>`). A key mints at most the scope it was
 * configured with (403 otherwise).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  INSPECT_LIMITS,
  InspectTokenRequestSchema,
  scopeAllows,
  type InspectScope,
  type InspectTokenResponse,
} from '@collabblocks/protocol';
import { readJsonBody, sendJson, HttpError } from '../http/router.js';
import { clampTtl, mintInspectToken } from '@collabblocks/monitor';

export interface TokenRouteDeps {
  secret: Uint8Array;
  authenticateOrgKey(req: IncomingMessage): { org: string; scope: InspectScope } | null;
}

export function tokenHandler(deps: TokenRouteDeps, fixedScope?: InspectScope) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const auth = deps.authenticateOrgKey(req);
    if (!auth) {
      sendJson(res, 401, { error: 'missing or invalid org API key (Authorization: Bearer <key>)' });
      return;
    }
    const body = await readJsonBody(req, 4096);
    let scope: InspectScope;
    let ttlSeconds: number | undefined;
    if (fixedScope) {
      const raw = body === undefined || body === null ? {} : body;
      const parsed = InspectTokenRequestSchema.partial().safeParse(raw);
      if (!parsed.success)
        throw new HttpError(400, `invalid body: ${parsed.error.issues[0]?.message ?? 'bad request'}`);
      if (parsed.data.scope !== undefined && parsed.data.scope !== fixedScope) {
        throw new HttpError(
          400,
          `body scope '${parsed.data.scope}' contradicts the path scope '${fixedScope}'`
        );
      }
      scope = fixedScope;
      ttlSeconds = parsed.data.ttlSeconds;
    } else {
      const parsed = InspectTokenRequestSchema.safeParse(body);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new HttpError(
          400,
          `invalid body (expected {"scope":"metadata"|"content","ttlSeconds"?: 1..${INSPECT_LIMITS.maxTokenTtlSeconds}}): ` +
            `${issue ? `${issue.path.join('.') || 'body'}: ${issue.message}` : 'bad request'}`
        );
      }
      scope = parsed.data.scope;
      ttlSeconds = parsed.data.ttlSeconds;
    }
    if (!scopeAllows(auth.scope, scope)) {
      sendJson(res, 403, {
        error: `this API key may mint at most '${auth.scope}' scope; '${scope}' was requested`,
      });
      return;
    }
    const minted = await mintInspectToken(deps.secret, auth.org, scope, clampTtl(ttlSeconds));
    const out: InspectTokenResponse = minted;
    sendJson(res, 200, out);
  };
}
