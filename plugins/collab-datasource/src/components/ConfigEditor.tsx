import type { ChangeEvent } from 'react';
import type { DataSourcePluginOptionsEditorProps } from '@grafana/data';
import { Button, FieldSet, InlineField, Input, SecretInput, Stack } from '@grafana/ui';

import type { CollabJsonData, CollabSecureJsonData } from '../types';

type Props = DataSourcePluginOptionsEditorProps<CollabJsonData, CollabSecureJsonData>;

/**
 * Pod URLs (jsonData.podUrls: where the plugin's backend reads from — the pods need not be reachable from
 * browsers), the org API key (secureJsonData.apiKey: write-only, decrypted for the backend only, never read
 * back to the browser) and the inspect token lifetime the backend asks for.
 */
export function ConfigEditor({ options, onOptionsChange }: Props) {
  const jsonData = options.jsonData ?? {};
  const podUrls = jsonData.podUrls && jsonData.podUrls.length > 0 ? jsonData.podUrls : [''];

  const setJson = (patch: Partial<CollabJsonData>) =>
    onOptionsChange({ ...options, jsonData: { ...jsonData, ...patch } });

  const setPodUrls = (urls: string[]) => setJson({ podUrls: urls });

  return (
    <div>
      <FieldSet label="Pods">
        {podUrls.map((url, i) => (
          <Stack key={i} direction="row" alignItems="center">
            <InlineField label={`Pod URL ${i + 1}`} labelWidth={16} htmlFor={`collab-ds-pod-url-${i}`}>
              <Input
                id={`collab-ds-pod-url-${i}`}
                width={44}
                placeholder="http://localhost:1234"
                value={url}
                onChange={(e: ChangeEvent<HTMLInputElement>) =>
                  setPodUrls(podUrls.map((u, j) => (j === i ? e.currentTarget.value : u)))
                }
              />
            </InlineField>
            {podUrls.length > 1 && (
              <Button
                variant="secondary"
                icon="trash-alt"
                aria-label={`Remove pod URL ${i + 1}`}
                onClick={() => setPodUrls(podUrls.filter((_, j) => j !== i))}
              />
            )}
          </Stack>
        ))}
        <Button variant="secondary" icon="plus" onClick={() => setPodUrls([...podUrls, ''])}>
          Add pod
        </Button>
      </FieldSet>
      <FieldSet label="Authentication">
        <InlineField
          label="Org API key"
          labelWidth={16}
          htmlFor="collab-ds-api-key"
          tooltip="Stored encrypted in Grafana and given to the plugin's backend only, which mints inspect tokens with it; never sent to browsers."
        >
          <SecretInput
            id="collab-ds-api-key"
            width={44}
            isConfigured={Boolean(options.secureJsonFields?.apiKey)}
            value={options.secureJsonData?.apiKey ?? ''}
            onChange={(e: ChangeEvent<HTMLInputElement>) =>
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
        <InlineField label="Token TTL (s)" labelWidth={16} htmlFor="collab-ds-token-ttl">
          <Input
            id="collab-ds-token-ttl"
            type="number"
            width={12}
            min={30}
            max={3600}
            placeholder="300"
            value={jsonData.tokenTtlSeconds ?? ''}
            onChange={(e: ChangeEvent<HTMLInputElement>) => {
              const n = Number(e.currentTarget.value);
              setJson({
                tokenTtlSeconds: Number.isFinite(n) && n > 0 ? Math.min(3600, Math.floor(n)) : undefined,
              });
            }}
          />
        </InlineField>
      </FieldSet>
    </div>
  );
}
