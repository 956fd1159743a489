/**
 * The inspect frame header, encoded here and nowhere else: every server message is a JSON object
 * that starts `{"v":<protocol version>,"type":…` and, for stream messages, `"sub":<subscription>`.
 * Stream bodies are serialised once per room (and per scope) and the subscription id is spliced in
 * per subscriber, so N subscribers cost one `JSON.stringify`.
 */
import {
  INSPECT_PROTOCOL_VERSION,
  type InspectScope,
  type InspectServerMessage,
  type WithoutVersion,
} from '@collabblocks/protocol';

/** A control message (ack, error, reply): the header plus its fields. */
export function controlFrame(msg: WithoutVersion<InspectServerMessage>): string {
  return JSON.stringify({ v: INSPECT_PROTOCOL_VERSION, ...msg });
}

function header(type: string, subId: string): string {
  return `{"v":${INSPECT_PROTOCOL_VERSION},"type":${JSON.stringify(type)},"sub":${JSON.stringify(subId)}`;
}

/** `json` is a serialised object: its fields follow the header. */
function splice(head: string, json: string): string {
  return json.length > 2 ? `${head},${json.slice(1)}` : `${head}}`;
}

/** A stream message for one subscription; `body` is an object or its JSON. */
export function subFrame(type: string, subId: string, body: object | string): string {
  return splice(header(type, subId), typeof body === 'string' ? body : JSON.stringify(body));
}

/** A stream message whose body differs by scope: each scope's body is made and serialised at most once. */
export class PerScope<T extends object> {
  private readonly json: { content?: string; metadata?: string } = {};
  constructor(
    private readonly type: string,
    private readonly make: (scope: InspectScope) => T
  ) {}

  frame(sub: { readonly id: string; readonly session: { readonly scope: InspectScope } }): string {
    const scope = sub.session.scope;
    let body = this.json[scope];
    if (body === undefined) {
      body = JSON.stringify(this.make(scope));
      this.json[scope] = body;
    }
    return splice(header(this.type, sub.id), body);
  }
}
