/**
 * CheckHealth: the datasource's own health check (src/testDatasource.ts: mint a token, reach every pod, list
 * its rooms, name the pods that failed), run in the backend with the instance's content-scope connections.
 */
import { errorMessage } from '@collabblocks/protocol';

import { runTestDatasource } from '../../../src/testDatasource';
import type { CheckHealthRequest, CheckHealthResponse } from '../grpc/messages';
import type { Instances } from '../pods/instance';

export async function checkHealth(
  req: CheckHealthRequest,
  instances: Instances
): Promise<CheckHealthResponse> {
  try {
    const instance = instances.of(req.pluginContext);
    const res = await runTestDatasource({
      podUrls: instance.config.podUrls,
      pool: instance.pool('content'),
      tokens: instance.tokens.content,
      mint: { via: 'from the pods', check: 'Check the API key and the pod URLs.' },
    });
    const details = (res as { details?: unknown }).details;
    return {
      status: res.status === 'success' ? 'OK' : 'ERROR',
      message: res.message,
      jsonDetails: Buffer.from(JSON.stringify(details ?? {})),
    };
  } catch (err) {
    return { status: 'ERROR', message: errorMessage(err), jsonDetails: Buffer.from('{}') };
  }
}
