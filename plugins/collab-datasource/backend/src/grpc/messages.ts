/**
 * TypeScript shapes of the pluginv2 messages as the loader decodes them (LOADER_OPTIONS: defaults on, int64
 * as number, enums as names, bytes as Buffer). Only the fields this backend reads or writes.
 */
export interface DataSourceInstanceSettings {
  id: number;
  uid: string;
  name: string;
  url: string;
  jsonData: Buffer;
  decryptedSecureJsonData: Record<string, string>;
  lastUpdatedMS: number;
}

export interface User {
  login: string;
  name: string;
  email: string;
  role: string;
}

export interface PluginContext {
  orgId: number;
  pluginId: string;
  user: User | null;
  dataSourceInstanceSettings: DataSourceInstanceSettings | null;
  grafanaConfig: Record<string, string>;
  pluginVersion: string;
}

export interface TimeRange {
  fromEpochMS: number;
  toEpochMS: number;
}

export interface DataQuery {
  refId: string;
  maxDataPoints: number;
  intervalMS: number;
  timeRange: TimeRange | null;
  json: Buffer;
  queryType: string;
}

export interface QueryDataRequest {
  pluginContext: PluginContext | null;
  headers: Record<string, string>;
  queries: DataQuery[];
}

export interface DataResponse {
  frames: Buffer[];
  error: string;
  jsonMeta?: Buffer;
  /** HTTP-like status of this query (200, 400, 500…). */
  status: number;
  /** "plugin" or "downstream". */
  errorSource: string;
}

export interface QueryDataResponse {
  responses: Record<string, DataResponse>;
}

export interface CheckHealthRequest {
  pluginContext: PluginContext | null;
  headers: Record<string, string>;
}

export type HealthStatus = 'UNKNOWN' | 'OK' | 'ERROR';

export interface CheckHealthResponse {
  status: HealthStatus;
  message: string;
  jsonDetails: Buffer;
}

export interface CollectMetricsRequest {
  pluginContext: PluginContext | null;
}

export interface CollectMetricsResponse {
  metrics: { prometheus: Buffer };
}

export interface StringList {
  values: string[];
}

export interface CallResourceRequest {
  pluginContext: PluginContext | null;
  path: string;
  method: string;
  url: string;
  headers: Record<string, StringList>;
  body: Buffer;
}

export interface CallResourceResponse {
  code: number;
  headers: Record<string, StringList>;
  body: Buffer;
}

export type StreamStatus = 'OK' | 'NOT_FOUND' | 'PERMISSION_DENIED';

export interface SubscribeStreamRequest {
  pluginContext: PluginContext | null;
  path: string;
  data: Buffer;
  headers: Record<string, string>;
}

export interface SubscribeStreamResponse {
  status: StreamStatus;
  data: Buffer;
}

export type RunStreamRequest = SubscribeStreamRequest;
export type PublishStreamRequest = SubscribeStreamRequest;
export type PublishStreamResponse = SubscribeStreamResponse;

export interface StreamPacket {
  data: Buffer;
}
