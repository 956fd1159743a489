import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/react';
import type { DataSourceSettings } from '@grafana/data';

import type { CollabDataSource } from '../datasource';
import type { CollabJsonData, CollabQuery, CollabSecureJsonData } from '../types';
import { ConfigEditor } from './ConfigEditor';
import { QueryEditor } from './QueryEditor';
import { VariableQueryEditor } from './VariableQueryEditor';

function options(jsonData: CollabJsonData): DataSourceSettings<CollabJsonData, CollabSecureJsonData> {
  return {
    id: 1,
    uid: 'collab',
    orgId: 1,
    name: 'Collab',
    type: 'collabblocks-collab-datasource',
    typeName: 'Collab',
    typeLogoUrl: '',
    access: 'proxy',
    url: '',
    user: '',
    database: '',
    basicAuth: false,
    basicAuthUser: '',
    isDefault: false,
    jsonData,
    secureJsonFields: { apiKey: true },
    readOnly: false,
    withCredentials: false,
  };
}

describe('ConfigEditor', () => {
  it('edits pod URLs and keeps tokenUrl on the first pod; the API key is never shown', () => {
    const onOptionsChange = vi.fn();
    render(
      <ConfigEditor
        options={options({ podUrls: ['http://a:1234'], tokenUrl: 'http://a:1234' })}
        onOptionsChange={onOptionsChange}
      />
    );
    expect(screen.getAllByDisplayValue('http://a:1234')).toHaveLength(2); // pod URL 1 and token URL
    fireEvent.change(screen.getByLabelText('Pod URL 1'), { target: { value: 'http://b:1234' } });
    expect(onOptionsChange.mock.calls.at(-1)?.[0].jsonData).toMatchObject({
      podUrls: ['http://b:1234'],
      tokenUrl: 'http://b:1234',
    });
    fireEvent.click(screen.getByText('Add pod'));
    expect(onOptionsChange.mock.calls.at(-1)?.[0].jsonData.podUrls).toEqual(['http://a:1234', '']);
    expect(screen.getByDisplayValue('configured')).toBeTruthy();
  });

  it('leaves an explicit tokenUrl alone', () => {
    const onOptionsChange = vi.fn();
    render(
      <ConfigEditor
        options={options({ podUrls: ['http://localhost:1234'], tokenUrl: 'http://pod-a:1234' })}
        onOptionsChange={onOptionsChange}
      />
    );
    fireEvent.change(screen.getByLabelText('Pod URL 1'), { target: { value: 'http://localhost:9999' } });
    expect(onOptionsChange.mock.calls.at(-1)?.[0].jsonData.tokenUrl).toBe('http://pod-a:1234');
  });
});

describe('QueryEditor', () => {
  const ds = {} as CollabDataSource;
  it('shows per-type options and reports changes', () => {
    const onChange = vi.fn();
    const onRunQuery = vi.fn();
    const q: CollabQuery = { refId: 'A', queryType: 'presenceHeatmap', room: '$room', gridSize: 12 };
    const { rerender } = render(
      <QueryEditor datasource={ds} query={q} onChange={onChange} onRunQuery={onRunQuery} />
    );
    expect(screen.getByDisplayValue('12')).toBeTruthy();
    fireEvent.change(screen.getByLabelText('Grid size'), { target: { value: '500' } });
    expect(onChange.mock.calls.at(-1)?.[0].gridSize).toBe(100);
    fireEvent.change(screen.getByDisplayValue('$room'), { target: { value: 'acme/x' } });
    expect(onChange.mock.calls.at(-1)?.[0].room).toBe('acme/x');
    rerender(
      <QueryEditor
        datasource={ds}
        query={{ ...q, queryType: 'historyTree' }}
        onChange={onChange}
        onRunQuery={onRunQuery}
      />
    );
    expect(screen.queryByLabelText('Grid size')).toBeNull();
    expect((screen.getByLabelText('At') as HTMLInputElement).placeholder).toBe('$__to');
  });

  it('historyTree: "Replay through" next to "At" sets `through` (variables allowed)', () => {
    const onChange = vi.fn();
    const onRunQuery = vi.fn();
    const q: CollabQuery = { refId: 'A', queryType: 'historyTree', room: 'acme/a', at: '$__from' };
    const { rerender } = render(
      <QueryEditor datasource={ds} query={q} onChange={onChange} onRunQuery={onRunQuery} />
    );
    const through = screen.getByLabelText('Replay through') as HTMLInputElement;
    expect(through.placeholder).toBe('$__to');
    expect(through.value).toBe('');
    fireEvent.change(through, { target: { value: '$__to' } });
    expect(onChange.mock.calls.at(-1)?.[0]).toMatchObject({ at: '$__from', through: '$__to' });
    fireEvent.blur(through);
    expect(onRunQuery).toHaveBeenCalled();
    rerender(
      <QueryEditor
        datasource={ds}
        query={{ ...q, queryType: 'tree', through: '$__to' }}
        onChange={onChange}
        onRunQuery={onRunQuery}
      />
    );
    expect(screen.queryByLabelText('Replay through')).toBeNull();
  });
});

describe('VariableQueryEditor', () => {
  it('switches kind and org', () => {
    const onChange = vi.fn();
    render(<VariableQueryEditor query={{ kind: 'rooms' }} onChange={onChange} />);
    fireEvent.change(screen.getByPlaceholderText('any'), { target: { value: 'acme' } });
    expect(onChange).toHaveBeenLastCalledWith({ kind: 'rooms', org: 'acme' }, 'rooms of acme');
    fireEvent.click(screen.getByText('Pods'));
    expect(onChange.mock.calls.at(-1)?.[0].kind).toBe('pods');
  });
});
