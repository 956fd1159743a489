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
   * Obsolete: where the former data-proxy token routes went. The backend mints tokens from any healthy pod;
   * kept in the type because provisioned settings may still carry it (ignored).
   */
  tokenUrl?: string;
  /** Token lifetime to request, seconds (default 300). */
  tokenTtlSeconds?: number;
}

export interface CollabSecureJsonData {
  /** Org API key; decrypted by Grafana for the plugin's backend only (never sent to a browser). */
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
