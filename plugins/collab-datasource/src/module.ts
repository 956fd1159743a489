import { DataSourcePlugin } from '@grafana/data';

import { ConfigEditor } from './components/ConfigEditor';
import { QueryEditor } from './components/QueryEditor';
import { CollabDataSource } from './datasource';
import type { CollabJsonData, CollabQuery, CollabSecureJsonData } from './types';

// Query variables: CollabDataSource.variables (CollabVariableSupport in variables.ts, a typed editor and query).
export const plugin = new DataSourcePlugin<
  CollabDataSource,
  CollabQuery,
  CollabJsonData,
  CollabSecureJsonData
>(CollabDataSource)
  .setConfigEditor(ConfigEditor)
  .setQueryEditor(QueryEditor);
