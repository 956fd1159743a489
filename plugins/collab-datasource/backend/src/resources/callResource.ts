/**
 * CallResource: what the editors ask the backend. `GET variables?kind=orgs|rooms|pods[&org=…]` → the
 * values of a variable query ([{text, value}], the model of src/variableQuery.ts) from every pod's room list;
 * `GET rooms` → each pod's rooms. Anything else is 404; bad parameters are 400 with a readable message.
 */
import { COLLAB_VARIABLE_KINDS, errorMessage, FRAME_LIMITS } from '@collabblocks/protocol';

import { deadlineIn, fetchRooms } from '../../../src/query/oneShot';
import { toVariableQuery, variableValues } from '../../../src/variableQuery';
import type { CallResourceRequest, CallResourceResponse } from '../grpc/messages';
import { type Instance, type Instances, scopeOfRole } from '../pods/instance';

function json(code: number, body: unknown): CallResourceResponse {
  return {
    code,
    headers: { 'content-type': { values: ['application/json'] } },
    body: Buffer.from(JSON.stringify(body)),
  };
}

async function podRooms(instance: Instance, role: string | undefined) {
  const pool = instance.pool(scopeOfRole(role));
  const results = await Promise.allSettled(
    instance.config.podUrls.map((u) => {
      const ac = new AbortController();
      return fetchRooms(pool.get(u), deadlineIn(FRAME_LIMITS.oneShotTimeoutMs), ac.signal).catch(
        (err: unknown) => {
          throw new Error(`${u}: ${errorMessage(err)}`);
        }
      );
    })
  );
  return {
    ok: results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : [])),
    failed: results.flatMap((r) => (r.status === 'rejected' ? [errorMessage(r.reason)] : [])),
  };
}

export async function callResource(
  req: CallResourceRequest,
  instances: Instances
): Promise<CallResourceResponse> {
  try {
    const instance = instances.of(req.pluginContext);
    const url = new URL(req.url || req.path, 'http://resource.invalid/');
    const path = req.path.replace(/^\/+|\/+$/g, '');
    if (req.method !== 'GET') return json(405, { error: `${req.method} is not supported; use GET` });
    const role = req.pluginContext?.user?.role;
    if (path === 'variables') {
      const kind = url.searchParams.get('kind') ?? 'rooms';
      if (!(COLLAB_VARIABLE_KINDS as readonly string[]).includes(kind)) {
        return json(400, { error: `kind must be one of ${COLLAB_VARIABLE_KINDS.join(', ')}` });
      }
      const q = toVariableQuery({ kind, org: url.searchParams.get('org') ?? '' });
      const { ok, failed } = await podRooms(instance, role);
      if (ok.length === 0 && failed.length > 0)
        return json(502, { error: `no pod answered: ${failed.join('; ')}` });
      return json(200, variableValues(q.kind, ok, q.org ?? ''));
    }
    if (path === 'rooms') {
      const { ok, failed } = await podRooms(instance, role);
      return json(ok.length || !failed.length ? 200 : 502, { pods: ok, errors: failed });
    }
    return json(404, { error: `no resource "${path.slice(0, 100)}" (resources: variables, rooms)` });
  } catch (err) {
    return json(400, { error: errorMessage(err) });
  }
}
