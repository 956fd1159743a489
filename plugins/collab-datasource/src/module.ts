import { DataSourcePlugin } from '@grafana/data';

import { ConfigEditor } from './components/ConfigEditor';
import { QueryEditor } from './components/QueryEditor';
import { VariableQueryEditor } from './components/VariableQueryEditor';
import { CollabDataSource } from './datasource';
import type { CollabJsonData, CollabQuery, CollabSecureJsonData } from './types';

export const plugin = new DataSourcePlugin<
  CollabDataSource,
  CollabQuery,
  CollabJsonData,
  CollabSecureJsonData
>(CollabDataSource)
  .setConfigEditor(ConfigEditor)
  .setQueryEditor(QueryEditor)
  .setVariableQueryEditor(VariableQueryEditor);
