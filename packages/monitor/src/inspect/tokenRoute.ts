/**
 * The inspect token route, host-agnostic: `POST /api/inspect/token` (body `{scope, ttlSeconds?}`)
 * and `POST /api/inspect/token/content` / `.../metadata` (scope from the path, body optional:
 * `{ttlSeconds?}`), authenticated by an org API key. A key mints at most the scope it was
 * configured with (403 otherwise). The host reads the request (auth header, JSON body) and
 * writes the answer; this decides it.
 */
import {
  INSPECT_LIMITS,
  InspectTokenRequestSchema,
  scopeAllows,
  type InspectScope,
  type InspectTokenResponse,
} from '@collabblocks/protocol';
import type { OrgKeyAuth } from '../host.js';
import { clampTtl, mintInspectToken } from './token.js';

export type TokenRouteAnswer =
  { status: 200; body: InspectTokenResponse } | { status: 400 | 401 | 403; body: { error: string } };

/**
 * `auth`: the org API key the host authenticated (null: missing or invalid). `body`: the parsed
 * JSON body (undefined when empty). `fixedScope`: the scope of the path variant.
 */
export async function answerTokenRequest(
  secret: Uint8Array,
  auth: OrgKeyAuth | null,
  body: unknown,
  fixedScope?: InspectScope
): Promise<TokenRouteAnswer> {
  if (!auth) {
    return { status: 401, body: { error: 'missing or invalid org API key (Authorization: Bearer <key>)' } };
  }
  let scope: InspectScope;
  let ttlSeconds: number | undefined;
  if (fixedScope) {
    const raw = body === undefined || body === null ? {} : body;
    const parsed = InspectTokenRequestSchema.partial().safeParse(raw);
    if (!parsed.success) {
      return {
        status: 400,
        body: { error: `invalid body: ${parsed.error.issues[0]?.message ?? 'bad request'}` },
      };
    }
    if (parsed.data.scope !== undefined && parsed.data.scope !== fixedScope) {
      return {
        status: 400,
        body: { error: `body scope '${parsed.data.scope}' contradicts the path scope '${fixedScope}'` },
      };
    }
    scope = fixedScope;
    ttlSeconds = parsed.data.ttlSeconds;
  } else {
    const parsed = InspectTokenRequestSchema.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return {
        status: 400,
        body: {
          error:
            `invalid body (expected {"scope":"metadata"|"content","ttlSeconds"?: 1..${INSPECT_LIMITS.maxTokenTtlSeconds}}): ` +
            `${issue ? `${issue.path.join('.') || 'body'}: ${issue.message}` : 'bad request'}`,
        },
      };
    }
    scope = parsed.data.scope;
    ttlSeconds = parsed.data.ttlSeconds;
  }
  if (!scopeAllows(auth.scope, scope)) {
    return {
      status: 403,
      body: { error: `this API key may mint at most '${auth.scope}' scope; '${scope}' was requested` },
    };
  }
  return { status: 200, body: await mintInspectToken(secret, auth.org, scope, clampTtl(ttlSeconds)) };
}
