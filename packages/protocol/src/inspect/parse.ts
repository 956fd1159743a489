/** Parsing and validating inspect frames: one JSON text frame in, a typed message or a clear error out. */
import { z } from 'zod';
import { INSPECT_PROTOCOL_VERSION } from './constants.js';
import {
  AuthMessageSchema,
  HistoryRequestSchema,
  HistoryTreeRequestSchema,
  type InspectClientMessage,
  type InspectClientMessageType,
  PingMessageSchema,
  SubscribeMessageSchema,
  UnsubscribeMessageSchema,
} from './clientMessages.js';
import { type InspectServerMessage, InspectServerMessageSchema } from './serverMessages.js';

/** Distributive Omit: a server message without its `v` (the pod adds it when sending). */
export type WithoutVersion<T> = T extends unknown ? Omit<T, 'v'> : never;

export type ParseResult<T> =
  | { ok: true; value: T }
  | { ok: false; code: 'malformed' | 'unsupported_version' | 'unknown_type'; error: string; id?: string };

const CLIENT_SCHEMAS: Record<InspectClientMessageType, z.ZodType<InspectClientMessage>> = {
  auth: AuthMessageSchema,
  subscribe: SubscribeMessageSchema,
  unsubscribe: UnsubscribeMessageSchema,
  history: HistoryRequestSchema,
  historyTree: HistoryTreeRequestSchema,
  ping: PingMessageSchema,
};
const CLIENT_TYPES: ReadonlySet<string> = new Set(Object.keys(CLIENT_SCHEMAS));

function describeZodError(err: z.ZodError): string {
  return err.issues
    .slice(0, 3)
    .map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message))
    .join('; ');
}

/**
 * Parses one client frame (text). Never throws: returns a machine code and a
 * human message, plus the request id when one could be read, so the pod can
 * answer with an `error` the client can match.
 */
export function parseInspectClientMessage(raw: string): ParseResult<InspectClientMessage> {
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    return { ok: false, code: 'malformed', error: 'message is not valid JSON' };
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return { ok: false, code: 'malformed', error: 'message must be a JSON object' };
  }
  const obj = data as Record<string, unknown>;
  const id = typeof obj.id === 'string' && obj.id.length > 0 && obj.id.length <= 64 ? obj.id : undefined;
  if (obj.v !== INSPECT_PROTOCOL_VERSION) {
    return {
      ok: false,
      code: 'unsupported_version',
      error: `unsupported protocol version ${JSON.stringify(obj.v)}; this pod speaks v${INSPECT_PROTOCOL_VERSION}`,
      id,
    };
  }
  if (typeof obj.type !== 'string' || !CLIENT_TYPES.has(obj.type)) {
    return {
      ok: false,
      code: 'unknown_type',
      error: `unknown message type ${JSON.stringify(obj.type)}; expected one of ${[...CLIENT_TYPES].join(', ')}`,
      id,
    };
  }
  const parsed = CLIENT_SCHEMAS[obj.type as InspectClientMessageType].safeParse(data);
  if (!parsed.success) {
    return {
      ok: false,
      code: 'malformed',
      error: `invalid ${obj.type} message: ${describeZodError(parsed.error)}`,
      id,
    };
  }
  return { ok: true, value: parsed.data };
}

/** Parses one pod frame (for clients such as the datasource). Never throws. */
export function parseInspectServerMessage(raw: string): ParseResult<InspectServerMessage> {
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    return { ok: false, code: 'malformed', error: 'message is not valid JSON' };
  }
  const obj = (typeof data === 'object' && data !== null ? data : {}) as Record<string, unknown>;
  if (obj.v !== INSPECT_PROTOCOL_VERSION) {
    return {
      ok: false,
      code: 'unsupported_version',
      error: `unsupported protocol version ${JSON.stringify(obj.v)}`,
    };
  }
  const parsed = InspectServerMessageSchema.safeParse(data);
  if (!parsed.success) {
    return { ok: false, code: 'malformed', error: describeZodError(parsed.error) };
  }
  return { ok: true, value: parsed.data };
}
