/**
 * The collab metrics taxonomy (see collab-server/docs/METRICS.md): metric definitions (`metrics.ts`),
 * top-N room folding (`folding.ts`), the exposition writer (`exposition.ts`) and the hook → metric
 * mapping (`extension.ts`). One implementation for every host, so the pod and the Hocuspocus
 * extension emit the same names, labels, folding and exposition.
 */
export * from './events.js';
export {
  PodMetrics,
  wantsOpenMetrics,
  LATENCY_BUCKETS_MS,
  ROOM_LOAD_BUCKETS_MS,
  PROMETHEUS_CONTENT_TYPE,
  OPENMETRICS_CONTENT_TYPE,
  UNKNOWN_ORG,
} from './metrics.js';
export { OTHER_ROOM, RoomFolder, roomIdOf, type RotateResult } from './folding.js';
export {
  ExpositionWriter,
  escapeLabelValue,
  formatValue,
  type ExposableMetric,
  type LabelSet,
  type MetricData,
  type SampleData,
} from './exposition.js';
export { createMetricsExtension, classifyClose, opType, OTHER_CODE } from './extension.js';
export { bytesByOrg, CpuSampler, every, type Ticker } from './background.js';
