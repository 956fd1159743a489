import type {
  DataQuery,
  DataSourceApi,
  DataSourceJsonData,
  MetricFindValue,
  ScopedVars,
} from '@grafana/data';
import type { CollabQueryModel, CollabQueryType, CollabVariableQueryModel } from '@collabblocks/protocol';

/** Annotation queries use the same model with this query type (not part of the dashboard query types). */
export const ANNOTATIONS_QUERY_TYPE = 'annotations' as const;

/** The datasource's query: the shared model (see @collabblocks/protocol query.ts) plus Grafana's DataQuery. */
export type CollabQuery = Omit<CollabQueryModel, 'queryType'> &
  DataQuery & {
    queryType: CollabQueryType | typeof ANNOTATIONS_QUERY_TYPE;
  };

/**
 * A variable query as Grafana stores it (`templating.list[].query`): the shared model plus DataQuery (refId).
 * `query` is a readable summary ("rooms of acme") the editor writes so that Grafana shows it as the variable's
 * definition; it is never read when running. Older dashboards stored `{ kind, org }` without refId, or a
 * plain string (= the org of a rooms query): `toVariableQuery()` (variables.ts) reads every shape.
 */
export type CollabVariableQuery = CollabVariableQueryModel & DataQuery & { query?: string };

export interface CollabJsonData extends DataSourceJsonData {
  /** Pod base URLs (http/https); the datasource fans in from every one of them. */
  podUrls?: string[];
  /**
   * Base URL the token routes (plugin.json) proxy to. Tokens are valid on every pod (shared inspect
   * secret), so this is normally the first pod URL; the config editor keeps it in sync with podUrls[0].
   */
  tokenUrl?: string;
  /** Token lifetime to request, seconds (default 300). */
  tokenTtlSeconds?: number;
}

/** Every jsonData key the datasource reads (plugin.json routes may template only these). */
export const JSON_DATA_KEYS = ['podUrls', 'tokenUrl', 'tokenTtlSeconds'] as const satisfies ReadonlyArray<
  Exclude<keyof CollabJsonData, keyof DataSourceJsonData>
>;

export interface CollabSecureJsonData {
  /** Org API key; only ever sent to the data proxy, which injects it server-side. */
  apiKey?: string;
}

/** Defaults used by the editors and by query(). */
export const QUERY_DEFAULTS = {
  queryType: 'rooms' as CollabQueryType,
  gridSize: 20,
} as const;

/**
 * What the editors and the variable support need of the datasource: its variable values (the pods' room
 * lists). The datasource implements it; the editors depend on this, never on the datasource module.
 */
export interface CollabSuggestSource extends DataSourceApi<CollabQuery, CollabJsonData> {
  metricFindQuery(
    query: CollabVariableQueryModel | string,
    options?: { scopedVars?: ScopedVars }
  ): Promise<MetricFindValue[]>;
}
