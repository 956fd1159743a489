export { startHarness } from './driver.js';
export type {
  DatasourceHandle,
  EditorHandle,
  Harness,
  PanelHandle,
  QueryHandle,
  StartHarnessOptions,
  WebSocketFrame,
  WebSocketFrameFilter,
  WebSocketRecord,
} from './driver.js';
export { MAX_FRAME_BYTES_PER_SOCKET, MAX_FRAMES_PER_SOCKET } from './driver.js';
export { startHostServer, type HostServer, type HostServerOptions } from './server/server.js';
export { planProxyRequest, interpolateRouteTemplate, matchRoute, roleSatisfies } from './server/proxy.js';
export { CHROMIUM_ARGS, CHROMIUM_PATH, BROWSER_WS_ENV, launchBrowserServer } from './browser.js';
export * from './shared/types.js';
