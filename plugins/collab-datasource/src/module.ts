import { DataSourcePlugin } from '@grafana/data';

import { ConfigEditor } from './components/ConfigEditor';
import { QueryEditor } from './components/QueryEditor';
import {
  CollabDataSource,
  type CollabJsonData,
  type CollabQuery,
  type CollabSecureJsonData,
} from './datasource';

export const plugin = new DataSourcePlugin<
  CollabDataSource,
  CollabQuery,
  CollabJsonData,
  CollabSecureJsonData
>(CollabDataSource)
  .setConfigEditor(ConfigEditor)
  .setQueryEditor(QueryEditor);
