import type { FormEvent } from 'react';
import type { DataSourcePluginOptionsEditorProps } from '@grafana/data';
import { InlineField, Input, SecretInput } from '@grafana/ui';

import type { CollabJsonData, CollabSecureJsonData } from '../datasource';

type Props = DataSourcePluginOptionsEditorProps<CollabJsonData, CollabSecureJsonData>;

/** Skeleton config editor: pod URL (jsonData) and API key (secureJsonData, never read back). */
export function ConfigEditor({ options, onOptionsChange }: Props) {
  return (
    <div>
      <InlineField label="Pod URL" labelWidth={14} htmlFor="collab-ds-pod-url">
        <Input
          id="collab-ds-pod-url"
          width={40}
          value={options.jsonData.podUrl ?? ''}
          onChange={(e: FormEvent<HTMLInputElement>) =>
            onOptionsChange({ ...options, jsonData: { ...options.jsonData, podUrl: e.currentTarget.value } })
          }
        />
      </InlineField>
      <InlineField label="API key" labelWidth={14} htmlFor="collab-ds-api-key">
        <SecretInput
          id="collab-ds-api-key"
          width={40}
          isConfigured={Boolean(options.secureJsonFields?.apiKey)}
          value={options.secureJsonData?.apiKey ?? ''}
          onChange={(e: FormEvent<HTMLInputElement>) =>
            onOptionsChange({ ...options, secureJsonData: { apiKey: e.currentTarget.value } })
          }
          onReset={() =>
            onOptionsChange({
              ...options,
              secureJsonFields: { ...options.secureJsonFields, apiKey: false },
              secureJsonData: { apiKey: '' },
            })
          }
        />
      </InlineField>
    </div>
  );
}
