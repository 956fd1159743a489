/** The inspect token endpoint (HTTP JSON) and the claims of an inspect JWT. */
import { z } from 'zod';
import { Ts } from './fields.js';
import { INSPECT_AUDIENCE, INSPECT_LIMITS, InspectScopeSchema } from './constants.js';

export const InspectTokenRequestSchema = z.object({
  scope: InspectScopeSchema,
  ttlSeconds: z
    .number()
    .int()
    .min(INSPECT_LIMITS.minTokenTtlSeconds)
    .max(INSPECT_LIMITS.maxTokenTtlSeconds)
    .optional(),
});
export type InspectTokenRequest = z.infer<typeof InspectTokenRequestSchema>;

export const InspectTokenResponseSchema = z.object({
  token: z.string(),
  /** Epoch ms. */
  expiresAt: Ts,
  scope: InspectScopeSchema,
  org: z.string(),
});
export type InspectTokenResponse = z.infer<typeof InspectTokenResponseSchema>;

/** Claims inside an inspect JWT (HS256, `aud: "inspect"`). */
export const InspectTokenClaimsSchema = z.object({
  aud: z.union([z.literal(INSPECT_AUDIENCE), z.array(z.string())]),
  org: z.string(),
  scope: InspectScopeSchema,
  exp: z.number(),
  iat: z.number().optional(),
  jti: z.string().optional(),
});
export type InspectTokenClaims = z.infer<typeof InspectTokenClaimsSchema>;
