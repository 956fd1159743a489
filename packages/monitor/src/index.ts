/**
 * @collabblocks/monitor — what a Yjs server needs to be watched by the CollabBlocks Grafana suite:
 * the `/inspect` bridge (live presence, document tree, update diffs, traffic, metrics, history) over a
 * host interface, and the collab metrics taxonomy for `/metrics`. The collab pod is one host; the
 * Hocuspocus extension (`@collabblocks/hocuspocus`) is another.
 */
export * from './events.js';
export * from './host.js';

// The bridge: hosts create one over their MonitorHost and hand it `/inspect` upgrades.
export { InspectBridge, type InspectBridgeOptions } from './inspect/bridge.js';
export { controlFrame, PerScope, subFrame } from './inspect/frame.js';
export { Pseudonyms } from './inspect/pseudonyms.js';

// Tokens of the inspect protocol (verified by every host, minted by its token route).
export {
  INSPECT_SECRET_LABEL,
  apiKeyId,
  clampTtl,
  mintInspectToken,
  resolveInspectSecret,
  verifyInspectToken,
  type InspectVerifyResult,
  type MintedToken,
  type VerifiedInspectToken,
} from './inspect/token.js';
export { answerTokenRequest, type TokenRouteAnswer } from './inspect/tokenRoute.js';
export { createInspectMetrics, type InspectMetrics } from './inspect/metrics.js';

// Session layer.
export { DEFAULT_OUTBOX, Outbox, type OutboxOptions, type OutboxSocket } from './inspect/session/outbox.js';
export { GateFullError, WorkGate } from './inspect/session/gate.js';
export { DEFAULT_ADMISSION, SessionAdmission, type AdmissionLimits } from './inspect/session/admission.js';
export {
  InspectSession,
  MAX_QUEUED_HISTORY,
  type SessionHost,
  type Subscription,
} from './inspect/session/session.js';

// Streams: one module per stream, and their building blocks.
export {
  connectionsOf,
  flushSpacingMs,
  RoomSubscribers,
  type StreamContext,
  type StreamModule,
} from './inspect/streams/stream.js';
export { MetricsStream } from './inspect/streams/metrics.js';
export { PresenceStream } from './inspect/streams/presence.js';
export { RoomsStream } from './inspect/streams/rooms.js';
export { TrafficStream } from './inspect/streams/traffic.js';
export { TreeStream, type TreeStreamOptions } from './inspect/streams/tree/tree.js';
export { UpdatesStream } from './inspect/streams/updates/updates.js';
export { HistoryRequests, type HistoryRequestsOptions } from './inspect/streams/history/history.js';
export {
  stripValue,
  walkDoc,
  type LastChange,
  type WalkContext,
  type WalkedNode,
} from './inspect/streams/tree/treeWalk.js';
export { TreeTracker, type TreePatch } from './inspect/streams/tree/treeTracker.js';
export {
  formatFields,
  lineFields,
  summarizeUpdate,
  type DecodedUpdate,
} from './inspect/streams/updates/updateSummary.js';
export { LineIndex, MAX_LINE_INDEX_ITEMS } from './inspect/streams/updates/lineIndex.js';
export {
  HistoryError,
  ItemTimes,
  MAX_REPLAY_ENTRIES,
  REPLAY_BUDGET,
  stepWeight,
  TreeReplay,
  historyContext,
  loadStoredDoc,
  readHistoryPage,
  rebuildDocAt,
  summarizeStored,
  treeOf,
  validateReplayRange,
  type DocAtResult,
  type ReplayBudget,
  type ReplayPage,
} from './inspect/streams/history/replay.js';
export { StoredDocs, type StoredDocLease } from './inspect/streams/history/storedDocs.js';

// Who a connection is, shown without who it is: the keyed user pseudonym every host computes alike.
export { userPseudonym } from './userPseudonym.js';
// Org API keys (token minting), checked in constant time on every host.
export {
  bearerToken,
  createOrgKeyAuthenticator,
  scopeAllows,
  type ApiKeyConfig,
  type ApiKeyScope,
  type OrgAuth,
  type OrgKeyAuthenticator,
} from './orgKeys.js';

// The metrics taxonomy (definitions, folding, exposition, hook → metric mapping).
export * from './metrics/index.js';

// Presence as editor bindings write it: recognisers, document locations, per-scope fields.
export * from './inspect/streams/presence/index.js';
