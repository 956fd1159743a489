/**
 * The datasource's variable support (`CustomVariableSupport`: a typed editor and query, replacing the
 * deprecated `setVariableQueryEditor`). The query model itself is in variableQuery.ts.
 */
import { catchError, from, map, type Observable, of } from 'rxjs';
import { CustomVariableSupport, type DataQueryRequest, type DataQueryResponse } from '@grafana/data';
import { errorMessage } from '@collabblocks/protocol';

import { VariableQueryEditor } from './components/VariableQueryEditor';
import type { CollabJsonData, CollabQuery, CollabSuggestSource, CollabVariableQuery } from './types';
import { toVariableQuery, variableFrame } from './variableQuery';

/**
 * Query variables of this datasource: orgs, rooms (optionally of one org, variables allowed) or pods. Grafana
 * runs `query()` with the variable's stored query as the one target (any stored shape, see toVariableQuery).
 */
export class CollabVariableSupport extends CustomVariableSupport<
  CollabSuggestSource,
  CollabVariableQuery,
  CollabQuery,
  CollabJsonData
> {
  readonly editor = VariableQueryEditor;

  constructor(private readonly datasource: CollabSuggestSource) {
    super();
  }

  query(request: DataQueryRequest<CollabVariableQuery>): Observable<DataQueryResponse> {
    const target: unknown = request.targets[0];
    let q: CollabVariableQuery;
    try {
      q = toVariableQuery(target);
    } catch (err) {
      return of({ data: [], error: { message: (err as Error).message } });
    }
    return from(this.datasource.metricFindQuery(q, { scopedVars: request.scopedVars ?? {} })).pipe(
      map((values): DataQueryResponse => ({ data: [variableFrame(q.refId, values)] })),
      catchError((err: unknown) =>
        of<DataQueryResponse>({
          data: [],
          error: { message: errorMessage(err) },
        })
      )
    );
  }
}
