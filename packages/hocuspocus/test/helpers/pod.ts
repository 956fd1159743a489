/**
 * Our collab pod as the second host of the cross-host tests: the pod test suite's own process starter,
 * stock y-websocket clients and token minting (one implementation, in collab-server/test/helpers).
 */
export { startPod, type PodProcess } from '../../../../collab-server/test/helpers/pod.js';
export { connectClient, type StockClient } from '../../../../collab-server/test/helpers/clients.js';
export { mintToken, TEST_API_KEYS } from '../../../../collab-server/test/helpers/jwt.js';
export {
  connectEditor,
  InspectClient,
  KEYS,
  mintInspect,
  openInspector,
  treeView,
} from '../../../../collab-server/test/inspect.client.js';
