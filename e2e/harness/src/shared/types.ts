// Types shared by the Node driver, the host server and the host page (JSON over page.evaluate / HTTP).

export const LEGS = ['grafana-12', 'grafana-13'] as const;
export type Leg = (typeof LEGS)[number];

export const ORG_ROLES = ['Viewer', 'Editor', 'Admin'] as const;
export type OrgRole = (typeof ORG_ROLES)[number];

export type ThemeMode = 'dark' | 'light';

/** A time bound: epoch ms, ISO string, or a Grafana relative expression such as `now-1h`. */
export type TimeBound = number | string;

export interface TimeRangeSpec {
  from: TimeBound;
  to: TimeBound;
}

/** A serialisable data frame (what tests pass in and get back). */
export interface FieldJSON {
  name: string;
  /** FieldType: 'time' | 'number' | 'string' | 'boolean' | 'other' | … */
  type: string;
  values: unknown[];
  labels?: Record<string, string>;
  config?: Record<string, unknown>;
}

export interface FrameJSON {
  name?: string;
  refId?: string;
  meta?: Record<string, unknown>;
  fields: FieldJSON[];
}

export interface FieldConfigSourceJSON {
  defaults: Record<string, unknown>;
  overrides: Array<{
    matcher: { id: string; options?: unknown };
    properties: Array<{ id: string; value?: unknown }>;
  }>;
}

export interface PanelSpec {
  frames?: FrameJSON[];
  /** Merged over the defaults declared by the plugin's option builder. */
  options?: Record<string, unknown>;
  fieldConfig?: FieldConfigSourceJSON;
  theme?: ThemeMode;
  width?: number;
  height?: number;
  timeRange?: TimeRangeSpec;
  timeZone?: string;
  title?: string;
  /** LoadingState of the PanelData: 'Done' (default), 'Loading', 'Streaming', 'Error', 'NotStarted'. */
  state?: 'Done' | 'Loading' | 'Streaming' | 'Error' | 'NotStarted';
}

export interface PanelRenderInfo {
  key: string;
  /** CSS selector of the panel's container (width × height box). */
  selector: string;
  /** Effective options (builder defaults + spec.options + changes made through onOptionsChange). */
  options: Record<string, unknown>;
  /** Every object the panel passed to onOptionsChange, in order. */
  optionChanges: Array<Record<string, unknown>>;
}

export interface DatasourceSpec {
  uid?: string;
  name?: string;
  /** The datasource's own URL setting (Grafana `url`), used when no plugin.json route matches. */
  url?: string;
  jsonData?: Record<string, unknown>;
  /** Kept by the host server only; the page sees `secureJsonFields` (key → true). */
  secureJsonData?: Record<string, string>;
}

export interface DatasourceInstanceInfo {
  uid: string;
  name: string;
  type: string;
  url: string;
  jsonData: Record<string, unknown>;
  secureJsonFields: Record<string, boolean>;
}

export interface QueryOptions {
  range?: TimeRangeSpec;
  scopedVars?: Record<string, { text: unknown; value: unknown }>;
  maxDataPoints?: number;
  intervalMs?: number;
  app?: string;
  timezone?: string;
}

export interface QueryEmission {
  /** ms since the query was started. */
  at: number;
  state?: string;
  key?: string;
  error?: { message?: string; status?: number };
  errors?: Array<{ message?: string }>;
  frames: FrameJSON[];
}

export interface QueryStatus {
  id: string;
  /** Emissions received so far (including ones dropped from the bounded buffer). */
  total?: number;
  emissions: QueryEmission[];
  completed: boolean;
  error?: string;
  unsubscribed: boolean;
}

export type TemplateVariables = Record<string, string | string[]>;

/** Injected into the host page as JSON; boot.ts turns it into window.grafanaBootData. */
export interface HostConfig {
  leg: Leg;
  role: OrgRole;
  theme: ThemeMode;
  featureToggles: Record<string, boolean>;
  /** Plugin metas (plugin.json) by id, for the plugins the server found. */
  plugins: Record<string, PluginJsonMeta>;
  grafanaVersion: string;
  sandbox?: SandboxConfig;
}

/** Sandbox mode (npm run sandbox): a live mini dashboard of the suite's plugins against a running pod. */
export interface SandboxConfig {
  /** Dashboard title shown above the panels (default none). */
  title?: string;
  /** Show the datasource's config editor and each panel's query editor (default true; false: a viewer's dashboard). */
  editors?: boolean;
  datasource: DatasourceInstanceInfo;
  panels: Array<{
    /** Panel id (`/d-solo/<uid>?panelId=<id>` shows this panel alone). */
    id?: number;
    /** A built plugin's id, or `table`: the query's frames as a plain table (Grafana's table panel stand-in). */
    pluginId: string;
    title: string;
    query: Record<string, unknown>;
    width?: number;
    height?: number;
  }>;
  /** Defaults; the page URL's `var-<name>` overrides any variable not listed in `fixedVariables`. */
  variables: TemplateVariables;
  /** Variables the URL cannot change (a constant, like an org dashboard's `$org`). */
  fixedVariables?: string[];
  /** Default range; the page URL's `from` / `to` override it. */
  range: TimeRangeSpec;
}

export interface PluginJsonRoute {
  path: string;
  url?: string;
  method?: string;
  reqRole?: string;
  headers?: Array<{ name: string; content: string }>;
  urlParams?: Array<{ name: string; content: string }>;
}

export interface PluginJsonMeta {
  id: string;
  type: 'panel' | 'datasource' | 'app' | string;
  name: string;
  info?: Record<string, unknown>;
  routes?: PluginJsonRoute[];
  [key: string]: unknown;
}
