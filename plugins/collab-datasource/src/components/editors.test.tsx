import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import type { DataSourceSettings } from '@grafana/data';
import { setTemplateSrv, type TemplateSrv } from '@grafana/runtime';

import type { CollabDataSource } from '../datasource';
import type { CollabJsonData, CollabQuery, CollabSecureJsonData, CollabVariableQuery } from '../types';
import { VARIABLE_REF_ID } from '../variableQuery';
import { ConfigEditor } from './ConfigEditor';
import { parseBucketSeconds } from './DocumentHeatmapOptions';
import { fieldOfError } from './PresenceFieldsEditor';
import { isTreePathLike, parseMaxDepth, QueryEditor } from './QueryEditor';
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
  it('edits pod URLs; the API key is never shown; no token URL (the backend mints tokens)', () => {
    const onOptionsChange = vi.fn();
    render(
      <ConfigEditor
        options={options({ podUrls: ['http://a:1234'], tokenUrl: 'http://a:1234' })}
        onOptionsChange={onOptionsChange}
      />
    );
    expect(screen.getAllByDisplayValue('http://a:1234')).toHaveLength(1); // pod URL 1 only
    expect(screen.queryByText('Token URL')).toBeNull();
    fireEvent.change(screen.getByLabelText('Pod URL 1'), { target: { value: 'http://b:1234' } });
    expect(onOptionsChange.mock.calls.at(-1)?.[0].jsonData).toMatchObject({ podUrls: ['http://b:1234'] });
    fireEvent.click(screen.getByText('Add pod'));
    expect(onOptionsChange.mock.calls.at(-1)?.[0].jsonData.podUrls).toEqual(['http://a:1234', '']);
    expect(screen.getByDisplayValue('configured')).toBeTruthy();
  });
});

// Combobox needs a little layout that jsdom lacks: canvas measureText (menu width; the shared setup returns no
// context), IntersectionObserver (menu placement) and element sizes (its virtualised list renders what fits).
const realGetContext = HTMLCanvasElement.prototype.getContext;
const realRect = Element.prototype.getBoundingClientRect;
beforeAll(() => {
  HTMLCanvasElement.prototype.getContext = (() => ({
    font: '',
    measureText: (text: string) => ({ width: text.length * 7 }),
  })) as unknown as typeof realGetContext;
  Element.prototype.getBoundingClientRect = () => DOMRect.fromRect({ x: 0, y: 0, width: 400, height: 400 });
  for (const prop of ['clientWidth', 'clientHeight', 'offsetWidth', 'offsetHeight'] as const)
    Object.defineProperty(HTMLElement.prototype, prop, { configurable: true, get: () => 400 });
  globalThis.IntersectionObserver ??= class {
    observe() {}
    unobserve() {}
    disconnect() {}
    takeRecords() {
      return [];
    }
  } as unknown as typeof IntersectionObserver;
});
afterAll(() => {
  HTMLCanvasElement.prototype.getContext = realGetContext;
  Element.prototype.getBoundingClientRect = realRect;
  for (const prop of ['clientWidth', 'clientHeight', 'offsetWidth', 'offsetHeight'] as const)
    delete (HTMLElement.prototype as Partial<HTMLElement>)[prop];
});

/** A datasource whose pods list these rooms / pods / orgs (only metricFindQuery is used by the editors). */
function fakeDs(values: Partial<Record<'rooms' | 'pods' | 'orgs', string[]>> = {}) {
  const metricFindQuery = vi.fn(async (q: { kind?: string } | string) => {
    const kind = typeof q === 'string' ? 'rooms' : (q.kind ?? 'rooms');
    return (values[kind as keyof typeof values] ?? []).map((text) => ({ text, value: text }));
  });
  return { ds: { metricFindQuery } as unknown as CollabDataSource, metricFindQuery };
}

/**
 * Types into a Combobox (more than one keystroke: the highlighted option follows the list as it was before each
 * one) and leaves it: the typed text, offered first as a custom value, is kept.
 */
async function typeCustom(input: HTMLElement, value: string) {
  fireEvent.focus(input);
  fireEvent.change(input, { target: { value: value.slice(0, 1) } });
  fireEvent.change(input, { target: { value } });
  await waitFor(() => expect(screen.getByText('Use this value')).toBeTruthy());
  fireEvent.blur(input, { relatedTarget: document.body }); // focus moves on (Tab)
}

/**
 * Renders the QueryEditor with `query` and spies for its callbacks; `rerender` shows another query with the same
 * datasource and spies.
 */
function renderQueryEditor(query: CollabQuery, ds: CollabDataSource = fakeDs().ds) {
  const onChange = vi.fn();
  const onRunQuery = vi.fn();
  const editor = (q: CollabQuery) => (
    <QueryEditor datasource={ds} query={q} onChange={onChange} onRunQuery={onRunQuery} />
  );
  const { rerender } = render(editor(query));
  return { onChange, onRunQuery, rerender: (q: CollabQuery) => rerender(editor(q)) };
}

describe('QueryEditor', () => {
  it('shows per-type options and reports changes', async () => {
    const q: CollabQuery = { refId: 'A', queryType: 'presenceHeatmap', room: '$room', gridSize: 12 };
    const { onChange, onRunQuery, rerender } = renderQueryEditor(q);
    expect(screen.getByDisplayValue('12')).toBeTruthy();
    fireEvent.change(screen.getByLabelText('Grid size'), { target: { value: '500' } });
    expect(onChange.mock.calls.at(-1)?.[0].gridSize).toBe(100);
    const room = screen.getByDisplayValue('$room');
    await typeCustom(room, 'acme/x');
    await waitFor(() => expect(onChange.mock.calls.at(-1)?.[0].room).toBe('acme/x'));
    expect(onRunQuery).toHaveBeenCalled();
    rerender({ ...q, queryType: 'historyTree' });
    expect(screen.queryByLabelText('Grid size')).toBeNull();
    expect((screen.getByLabelText('At') as HTMLInputElement).placeholder).toBe('$__to');
  });

  it('documentHeatmap: counts carets or edits, and takes a bucket width (empty = from the range)', () => {
    const q: CollabQuery = { refId: 'A', queryType: 'documentHeatmap', room: 'acme/a' };
    const { onChange, onRunQuery, rerender } = renderQueryEditor(q);
    expect((screen.getByLabelText('Carets') as HTMLInputElement).checked).toBe(true);
    fireEvent.click(screen.getByLabelText('Edits'));
    expect(onChange.mock.calls.at(-1)?.[0]).toMatchObject({ heatmapMeasure: 'edits' });
    expect(onRunQuery).toHaveBeenCalledTimes(1);
    const bucket = screen.getByLabelText('Bucket (s)') as HTMLInputElement;
    expect(bucket.placeholder).toBe('auto');
    fireEvent.change(bucket, { target: { value: '30' } });
    expect(onChange.mock.calls.at(-1)?.[0].bucketSeconds).toBe(30);
    rerender({ ...q, heatmapMeasure: 'edits', bucketSeconds: 30 });
    expect((screen.getByLabelText('Edits') as HTMLInputElement).checked).toBe(true);
    fireEvent.change(screen.getByLabelText('Bucket (s)'), { target: { value: '' } });
    expect('bucketSeconds' in (onChange.mock.calls.at(-1)?.[0] ?? {})).toBe(false);
    rerender({ ...q, queryType: 'presence' });
    expect(screen.queryByLabelText('Bucket (s)')).toBeNull();
    expect(parseBucketSeconds('0')).toBeUndefined();
    expect(parseBucketSeconds('-5')).toBeUndefined();
    expect(parseBucketSeconds('abc')).toBeUndefined();
    expect(parseBucketSeconds('2.5')).toBe(2.5);
  });

  it('historyTree: "Replay through" next to "At" sets `through` (variables allowed)', () => {
    const q: CollabQuery = { refId: 'A', queryType: 'historyTree', room: 'acme/a', at: '$__from' };
    const { onChange, onRunQuery, rerender } = renderQueryEditor(q);
    const through = screen.getByLabelText('Replay through') as HTMLInputElement;
    expect(through.placeholder).toBe('$__to');
    expect(through.value).toBe('');
    fireEvent.change(through, { target: { value: '$__to' } });
    expect(onChange.mock.calls.at(-1)?.[0]).toMatchObject({ at: '$__from', through: '$__to' });
    fireEvent.blur(through);
    expect(onRunQuery).toHaveBeenCalled();
    rerender({ ...q, queryType: 'tree', through: '$__to' });
    expect(screen.queryByLabelText('Replay through')).toBeNull();
  });

  it('Room offers the pods’ rooms and the dashboard variables, and takes any typed value', async () => {
    setTemplateSrv({
      getVariables: () => [{ name: 'room' }, { name: 'org' }],
      replace: (s?: string) => s ?? '',
    } as unknown as TemplateSrv);
    try {
      const { ds, metricFindQuery } = fakeDs({ rooms: ['acme/design-review', 'globex/roadmap'] });
      const { onChange, onRunQuery } = renderQueryEditor({ refId: 'A', queryType: 'tree' }, ds);
      expect(metricFindQuery).not.toHaveBeenCalled(); // the pods are asked only when the list opens
      const room = screen.getByLabelText(/^Room/) as HTMLInputElement;
      expect(room.placeholder).toBe('acme/design-review');
      fireEvent.click(room);
      await waitFor(() => expect(screen.getByText('globex/roadmap')).toBeTruthy());
      expect(metricFindQuery).toHaveBeenCalledWith({ kind: 'rooms' });
      expect(screen.getByText('$room')).toBeTruthy();
      expect(screen.getByText('$org')).toBeTruthy();
      fireEvent.click(screen.getByText('globex/roadmap'));
      expect(onChange.mock.calls.at(-1)?.[0]).toMatchObject({ queryType: 'tree', room: 'globex/roadmap' });
      expect(onRunQuery).toHaveBeenCalledTimes(1);
    } finally {
      setTemplateSrv(undefined as unknown as TemplateSrv);
    }
  });

  it('Pod offers the pods by name', async () => {
    const { ds, metricFindQuery } = fakeDs({ pods: ['pod-a', 'pod-b'] });
    const { onChange } = renderQueryEditor(
      { refId: 'A', queryType: 'presence', room: 'acme/a', pod: 'pod-a' },
      ds
    );
    const pod = screen.getByDisplayValue('pod-a');
    fireEvent.click(pod);
    await waitFor(() => expect(screen.getByText('pod-b')).toBeTruthy());
    expect(metricFindQuery).toHaveBeenCalledWith({ kind: 'pods' });
    fireEvent.click(screen.getByText('pod-b'));
    expect(onChange.mock.calls.at(-1)?.[0].pod).toBe('pod-b');
  });

  it('a room listing that fails shows a warning (no console error) and typing still works', async () => {
    const metricFindQuery = vi.fn(async () => {
      throw new Error('no pod answered: refused');
    });
    const errors = vi.spyOn(console, 'error');
    const { onChange } = renderQueryEditor({ refId: 'A', queryType: 'updates' }, {
      metricFindQuery,
    } as unknown as CollabDataSource);
    const room = screen.getByLabelText(/^Room/);
    fireEvent.click(room);
    await waitFor(() =>
      expect(screen.getByRole('img', { name: 'Could not list rooms: no pod answered: refused' })).toBeTruthy()
    );
    await typeCustom(room, 'acme/new-room');
    await waitFor(() => expect(onChange.mock.calls.at(-1)?.[0].room).toBe('acme/new-room'));
    expect(errors).not.toHaveBeenCalled();
    errors.mockRestore();
  });

  it('tree and historyTree: root path and max depth (empty = whole document, all levels)', () => {
    const q: CollabQuery = { refId: 'A', queryType: 'tree', room: 'acme/a', maxDepth: 2 };
    const { onChange, onRunQuery, rerender } = renderQueryEditor(q);
    const rootPath = screen.getByLabelText('Root path') as HTMLInputElement;
    expect(rootPath.placeholder).toBe('/root/...');
    fireEvent.change(rootPath, { target: { value: '/root/items/3' } });
    expect(onChange.mock.calls.at(-1)?.[0]).toMatchObject({ rootPath: '/root/items/3', maxDepth: 2 });
    fireEvent.blur(rootPath);
    expect(onRunQuery).toHaveBeenCalledTimes(1);
    const depth = screen.getByLabelText('Max depth') as HTMLInputElement;
    expect(depth.value).toBe('2');
    fireEvent.change(depth, { target: { value: '0' } });
    expect(onChange.mock.calls.at(-1)?.[0].maxDepth).toBe(0);
    fireEvent.change(depth, { target: { value: '3.7' } });
    expect(onChange.mock.calls.at(-1)?.[0].maxDepth).toBe(3);
    fireEvent.change(depth, { target: { value: '' } });
    expect(onChange.mock.calls.at(-1)?.[0]).not.toHaveProperty('maxDepth');
    // A path without the leading slash is flagged (variables are checked once replaced).
    rerender({ ...q, queryType: 'historyTree', rootPath: 'root/items' });
    expect(screen.getByText('A tree path starts with / (e.g. /root/items)')).toBeTruthy();
    rerender({ ...q, queryType: 'historyTree', rootPath: '$node' });
    expect(screen.queryByText('A tree path starts with / (e.g. /root/items)')).toBeNull();
    for (const queryType of ['presence', 'updates', 'rooms'] as const) {
      rerender({ ...q, queryType });
      expect(screen.queryByLabelText('Root path')).toBeNull();
      expect(screen.queryByLabelText('Max depth')).toBeNull();
    }
  });

  it('presence queries: field paths for the app’s own awareness, checked with the protocol’s parser and its words', () => {
    const q: CollabQuery = { refId: 'A', queryType: 'presence', room: 'acme/a' };
    const { onChange, onRunQuery, rerender } = renderQueryEditor(q);
    fireEvent.change(screen.getByLabelText('Fields: Head'), { target: { value: 'me.sel.to' } });
    expect(onChange.mock.calls.at(-1)?.[0].presenceFields).toEqual({ head: 'me.sel.to' });
    fireEvent.blur(screen.getByLabelText('Fields: Head'));
    expect(onRunQuery).toHaveBeenCalled();
    // A field emptied is not set; all emptied: no presenceFields at all.
    rerender({ ...q, presenceFields: { head: 'me.sel.to', name: 'who.label' } });
    fireEvent.change(screen.getByLabelText('Name'), { target: { value: '' } });
    expect(onChange.mock.calls.at(-1)?.[0].presenceFields).toEqual({ head: 'me.sel.to' });
    rerender({ ...q, presenceFields: { head: 'me.sel.to' } });
    fireEvent.change(screen.getByLabelText('Fields: Head'), { target: { value: '' } });
    expect(onChange.mock.calls.at(-1)?.[0].presenceFields).toBeUndefined();
    // x without y: the datasource's own sentence, on the field it names.
    rerender({ ...q, presenceFields: { x: 'pointer.x' } });
    expect(screen.getByText('presenceFields.y: x and y go together')).toBeTruthy();
    rerender({ ...q, presenceFields: { head: 'a.b.c.d.e.f.g.h.i' } });
    expect(screen.getByText('presenceFields.head: a dotted field path (at most 8 segments)')).toBeTruthy();
    rerender({ ...q, presenceFields: { head: 'sel.head', anchor: 'sel.anchor' } });
    expect(screen.queryByText(/presenceFields\./)).toBeNull();
    // Heatmaps of presence take them too; other query types do not show them.
    rerender({ ...q, queryType: 'documentHeatmap' });
    expect(screen.getByLabelText('Fields: Head')).toBeTruthy();
    rerender({ ...q, queryType: 'updates' });
    expect(screen.queryByLabelText('Fields: Head')).toBeNull();
    expect(fieldOfError('presenceFields.y: x and y go together')).toBe('y');
    expect(fieldOfError('presenceFields: unknown key(s) foo')).toBe('head');
  });

  it('parseMaxDepth / isTreePathLike', () => {
    expect(parseMaxDepth('')).toBeUndefined();
    expect(parseMaxDepth('-1')).toBeUndefined();
    expect(parseMaxDepth('abc')).toBeUndefined();
    expect(parseMaxDepth('4')).toBe(4);
    expect(isTreePathLike('')).toBe(true);
    expect(isTreePathLike('/root')).toBe(true);
    expect(isTreePathLike('${path}')).toBe(true);
    expect(isTreePathLike('root')).toBe(false);
  });
});

describe('VariableQueryEditor', () => {
  const props = (query: unknown, onChange = vi.fn(), ds = fakeDs({ orgs: ['acme', 'globex'] }).ds) => ({
    datasource: ds,
    query: query as CollabVariableQuery,
    onChange,
    onRunQuery: vi.fn(),
  });

  it('switches kind and org, writing the current shape with a readable summary', async () => {
    const onChange = vi.fn();
    render(<VariableQueryEditor {...props({ refId: 'v', kind: 'rooms' }, onChange)} />);
    const org = screen.getByPlaceholderText('any');
    fireEvent.click(org);
    await waitFor(() => expect(screen.getByText('globex')).toBeTruthy());
    fireEvent.click(screen.getByText('globex'));
    expect(onChange).toHaveBeenLastCalledWith({
      refId: 'v',
      kind: 'rooms',
      org: 'globex',
      query: 'rooms of globex',
    });
    fireEvent.click(screen.getByText('Pods'));
    expect(onChange).toHaveBeenLastCalledWith({ refId: 'v', kind: 'pods', query: 'pods' });
  });

  it('migrates the legacy shapes (a plain org string, `{ kind, org }` without refId) on the first edit', async () => {
    const onChange = vi.fn();
    const { unmount } = render(<VariableQueryEditor {...props('acme', onChange)} />);
    expect(screen.getByDisplayValue('acme')).toBeTruthy();
    fireEvent.click(screen.getByText('Orgs'));
    expect(onChange).toHaveBeenLastCalledWith({ refId: VARIABLE_REF_ID, kind: 'orgs', query: 'orgs' });
    unmount();
    render(<VariableQueryEditor {...props({ kind: 'rooms', org: 'acme' }, onChange)} />);
    await typeCustom(screen.getByDisplayValue('acme'), '$org');
    await waitFor(() =>
      expect(onChange).toHaveBeenLastCalledWith({
        refId: VARIABLE_REF_ID,
        kind: 'rooms',
        org: '$org',
        query: 'rooms of $org',
      })
    );
  });

  it('shows a stored query it cannot read instead of crashing', () => {
    render(<VariableQueryEditor {...props({ kind: 'users' })} />);
    expect(screen.getByText(/unknown collab variable kind "users"/)).toBeTruthy();
  });
});
