import React from 'react';
import { act, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type DataFrame, type PanelProps, LoadingState, dateTime } from '@grafana/data';

import { bigDocument, node, stepsFrame, treeFrame } from '../../data/testing';
import { COLLAB_FRAME_KIND_KEY } from '@collabblocks/protocol';
import { createDataFrame, FieldType } from '@grafana/data';
import { plugin } from '../../module';
import { type CrdtPanelOptions, DEFAULT_OPTIONS } from '../../types';
import { CrdtPanel, FILTER_DEBOUNCE_MS } from './CrdtPanel';

function props(
  series: DataFrame[],
  extra: Partial<CrdtPanelOptions> = {},
  over: Partial<PanelProps<CrdtPanelOptions>> = {}
): PanelProps<CrdtPanelOptions> {
  const timeRange = { from: dateTime(0), to: dateTime(10_000), raw: { from: 'a', to: 'b' } };
  return {
    id: 1,
    data: { state: LoadingState.Streaming, series, timeRange },
    timeRange,
    timeZone: 'utc',
    options: { ...DEFAULT_OPTIONS, ...extra },
    fieldConfig: { defaults: {}, overrides: [] },
    transparent: false,
    width: 800,
    height: 400,
    renderCounter: 0,
    title: 'crdt',
    eventBus: { publish: () => undefined } as unknown as PanelProps['eventBus'],
    onOptionsChange: () => undefined,
    onFieldConfigChange: () => undefined,
    replaceVariables: (s: string) => s,
    onChangeTimeRange: () => undefined,
    ...over,
  };
}

const doc = (title: string) => [
  node('/doc', 'Map', { children: 2 }),
  node('/doc/title', 'Text', {
    value: title,
    valueType: 'string',
    size: title.length,
    lastClient: 42,
    lastClock: 3,
  }),
  node('/doc/items', 'Array', { children: 2 }),
  node('/doc/items/0', 'value', { value: '1' }),
  node('/doc/items/1', 'value', { value: '2' }),
];

const rowPaths = () =>
  [...document.querySelectorAll('[role="treeitem"]')].map((e) => e.getAttribute('data-path'));

describe('CrdtPanel', () => {
  it('declares option defaults and shows the empty message without a tree', () => {
    expect(plugin.defaults).toMatchObject({ expandDepth: 1, showValues: true });
    render(<CrdtPanel {...props([])} />);
    expect(screen.getByTestId('collabblocks-crdt-panel-root').textContent).toBe(DEFAULT_OPTIONS.emptyMessage);
  });

  it('renders the tree, expands with the keyboard, filters, and flashes nodes changed by a new emission', async () => {
    const { rerender } = render(<CrdtPanel {...props([treeFrame(doc('Hello'), { ts: 1000 })])} />);
    expect(rowPaths()).toEqual(['/doc', '/doc/title', '/doc/items']);
    expect(screen.getByText('"Hello"')).toBeTruthy();
    const tree = screen.getByTestId('crdt-tree');
    fireEvent.keyDown(tree, { key: 'End' });
    fireEvent.keyDown(tree, { key: 'ArrowRight' });
    expect(rowPaths()).toContain('/doc/items/1');
    fireEvent.keyDown(tree, { key: 'ArrowLeft' });
    expect(rowPaths()).not.toContain('/doc/items/1');
    fireEvent.keyDown(tree, { key: 'Home' });
    expect(document.querySelector('[aria-selected="true"]')?.getAttribute('data-path')).toBe('/doc');

    rerender(<CrdtPanel {...props([treeFrame(doc('Hello world'), { ts: 2000 })])} />);
    expect(document.querySelector('[data-flash="true"]')?.getAttribute('data-path')).toBe('/doc/title');

    fireEvent.change(
      screen.getByTestId('crdt-search').querySelector('input') ?? screen.getByTestId('crdt-search'),
      {
        target: { value: 'items/1' },
      }
    );
    await waitFor(() => expect(rowPaths()).toEqual(['/doc', '/doc/items', '/doc/items/1']));
  });

  it('travels back in time and diffs two instants', () => {
    const { rerender } = render(<CrdtPanel {...props([treeFrame(doc('one'), { ts: 1000 })])} />);
    rerender(<CrdtPanel {...props([treeFrame(doc('two'), { ts: 3000 })])} />);
    rerender(<CrdtPanel {...props([treeFrame(doc('three'), { ts: 5000 })])} />);
    expect(screen.getByText('"three"')).toBeTruthy();
    const slider = screen.getByTestId('crdt-timeline-slider');
    act(() => {
      fireEvent.change(slider, { target: { value: '3000' } });
    });
    expect(screen.getByText('"two"')).toBeTruthy();
    expect(screen.getByTestId('collabblocks-crdt-panel-root').getAttribute('data-state-ts')).toBe('3000');
    fireEvent.click(screen.getByLabelText('Step back'));
    expect(screen.getByText('"one"')).toBeTruthy();
    fireEvent.click(screen.getByText('Compare from here'));
    fireEvent.click(screen.getByText('Live'));
    expect(screen.getByText('"three"')).toBeTruthy();
    expect(screen.getByTestId('crdt-summary').textContent).toContain('diff +0 −0 ~1');
    expect(document.querySelector('[data-diff="changed"]')?.getAttribute('data-path')).toBe('/doc/title');
  });

  it('steps through every update of a range replayed from the pod log (historyTree + treeSteps)', () => {
    const base = doc('one');
    const title = base[1]!;
    const items = base[2]!;
    const series = [
      treeFrame(base, { ts: 1000 }, 'historyTree'),
      stepsFrame(
        [
          { ts: 2000, seq: 5, clientId: 9, added: [], changed: [{ ...title, value: 'two' }], removed: [] },
          { ts: 3000, seq: 6, clientId: 9, added: [], changed: [], removed: [] },
          {
            ts: 4000,
            seq: 7,
            clientId: 9,
            added: [node('/doc/items/2', 'value', { value: 'third' })],
            changed: [{ ...items, children: 3 }],
            removed: [],
          },
          { ts: 5000, seq: 8, clientId: 9, added: [], changed: [], removed: ['/doc/items/0'] },
          { ts: 6000, seq: 9, clientId: 9, added: [], changed: [{ ...title, value: 'three' }], removed: [] },
        ],
        { from: 1000, to: 8000 }
      ),
    ];
    render(<CrdtPanel {...props(series, { expandDepth: 5 })} />);
    const root = () => screen.getByTestId('collabblocks-crdt-panel-root');
    // The replayed updates are listed (no history query here).
    expect(screen.getByTestId('crdt-updates').getAttribute('data-count')).toBe('5');
    // No live tree: the newest known state (the end of the replay) is shown.
    expect(screen.getByText('"three"')).toBeTruthy();
    expect(rowPaths()).toEqual(['/doc', '/doc/title', '/doc/items', '/doc/items/1', '/doc/items/2']);
    act(() => {
      fireEvent.change(screen.getByTestId('crdt-timeline-slider'), { target: { value: '1500' } });
    });
    expect(root().getAttribute('data-state-ts')).toBe('1000');
    expect(root().getAttribute('data-exact')).toBe('true');
    expect(screen.getByTestId('crdt-summary').textContent).toContain('replayed from pod log');
    expect(screen.getByTestId('crdt-state-status').textContent).toBe('replayed from pod log');
    expect(screen.getByText('"one"')).toBeTruthy();
    const forward = () => fireEvent.click(screen.getByLabelText('Step forward'));
    const back = () => fireEvent.click(screen.getByLabelText('Step back'));
    forward();
    expect(root().getAttribute('data-state-ts')).toBe('2000');
    expect(screen.getByTestId('crdt-state-status').textContent).toBe('replayed from pod log · seq 5');
    expect(screen.getByText('"two"')).toBeTruthy();
    forward(); // an update that changed nothing visible is still an instant
    expect(root().getAttribute('data-state-ts')).toBe('3000');
    expect(screen.getByText('"two"')).toBeTruthy();
    expect(rowPaths()).not.toContain('/doc/items/2');
    forward();
    expect(rowPaths()).toContain('/doc/items/2');
    expect(rowPaths()).toContain('/doc/items/0');
    fireEvent.click(screen.getByText('Compare from here'));
    forward();
    expect(root().getAttribute('data-state-ts')).toBe('5000');
    expect(rowPaths()).not.toContain('/doc/items/0');
    expect(screen.getByTestId('crdt-summary').textContent).toContain('diff +0 −1 ~0');
    forward();
    expect(screen.getByText('"three"')).toBeTruthy();
    expect(screen.getByTestId('crdt-summary').textContent).toContain('diff +0 −1 ~1');
    // Backwards through the same steps.
    back();
    back();
    expect(root().getAttribute('data-state-ts')).toBe('4000');
    expect(screen.getByText('"two"')).toBeTruthy();
    expect(rowPaths()).toEqual(expect.arrayContaining(['/doc/items/0', '/doc/items/2']));
    back();
    back();
    back();
    expect(root().getAttribute('data-state-ts')).toBe('1000');
    expect(screen.getByText('"one"')).toBeTruthy();
    // Past the replayed range: the last state, no longer claimed exact.
    act(() => {
      fireEvent.change(screen.getByTestId('crdt-timeline-slider'), { target: { value: '9000' } });
    });
    expect(root().getAttribute('data-exact')).toBe('false');
    expect(screen.getByText('"three"')).toBeTruthy();
    expect(screen.getByTestId('crdt-summary').textContent).not.toContain('replayed from pod log');
    expect(screen.getAllByTestId('crdt-timeline-exact')).toHaveLength(1);
  });

  it('starts over on another room: back to live, no diff base, no states of the previous room', () => {
    const { rerender } = render(<CrdtPanel {...props([treeFrame(doc('one'), { ts: 1000 })])} />);
    rerender(<CrdtPanel {...props([treeFrame(doc('two'), { ts: 3000 })])} />);
    act(() => {
      fireEvent.change(screen.getByTestId('crdt-timeline-slider'), { target: { value: '2000' } });
    });
    fireEvent.click(screen.getByText('Compare from here'));
    expect(screen.getByTestId('collabblocks-crdt-panel-root').getAttribute('data-mode')).toBe('travel');
    rerender(<CrdtPanel {...props([treeFrame(doc('other room'), { ts: 4000, room: 'acme/other' })])} />);
    const root = screen.getByTestId('collabblocks-crdt-panel-root');
    expect(root.getAttribute('data-mode')).toBe('live');
    expect(screen.getByText('"other room"')).toBeTruthy();
    expect(screen.getByTestId('crdt-timeline').getAttribute('data-compare')).toBe('');
    expect(screen.getByTestId('crdt-summary').textContent).toContain('acme/other');
    expect(screen.getByTestId('crdt-summary').textContent).not.toContain('diff');
  });

  it('shows a subtree frame (rootPath): its root as a root, the root path in the header, time travel', () => {
    const sub = (title: string) => [
      node('/root/items/3', 'Map', { children: 2 }),
      node('/root/items/3/title', 'Text', { value: title, valueType: 'string' }),
      node('/root/items/3/tags', 'Array', { children: 1 }),
      node('/root/items/3/tags/0', 'value', { value: 'a', valueType: 'string' }),
    ];
    const custom = { rootPath: '/root/items/3', maxDepth: 2 };
    const { rerender } = render(
      <CrdtPanel {...props([treeFrame(sub('one'), { ts: 1000, ...custom })], { expandDepth: 5 })} />
    );
    expect(rowPaths()).toEqual(sub('one').map((n) => n.path));
    expect(screen.getByTestId('crdt-summary').textContent).toContain(
      'subtree /root/items/3 depth ≤ 2 · 4 nodes'
    );
    expect(document.querySelector('[data-path="/root/items/3"]')?.getAttribute('aria-level')).toBe('1');
    // ← on the subtree root stays there (its parent is not in the frame).
    const tree = screen.getByTestId('crdt-tree');
    fireEvent.keyDown(tree, { key: 'Home' });
    fireEvent.keyDown(tree, { key: 'ArrowLeft' });
    fireEvent.keyDown(tree, { key: 'ArrowLeft' });
    expect(document.querySelector('[aria-selected="true"]')?.getAttribute('data-path')).toBe('/root/items/3');
    fireEvent.keyDown(tree, { key: 'ArrowRight' });
    rerender(
      <CrdtPanel
        {...props([treeFrame(sub('two').slice(0, 2), { ts: 3000, ...custom })], { expandDepth: 5 })}
      />
    );
    expect(rowPaths()).toEqual(['/root/items/3', '/root/items/3/title']);
    act(() => {
      fireEvent.change(screen.getByTestId('crdt-timeline-slider'), { target: { value: '2000' } });
    });
    expect(screen.getByText('"one"')).toBeTruthy();
    expect(rowPaths()).toContain('/root/items/3/tags/0');
  });

  it('lists removed, added and changed nodes of a diff, says what changed per field, selects from the list', () => {
    const { rerender } = render(
      <CrdtPanel {...props([treeFrame(doc('one'), { ts: 1000 })], { expandDepth: 5 })} />
    );
    const later = [
      ...doc('three').filter((n) => n.path !== '/doc/items/1'),
      node('/doc/author', 'value', { value: 'bot', valueType: 'string' }),
    ];
    rerender(<CrdtPanel {...props([treeFrame(later, { ts: 3000 })], { expandDepth: 5 })} />);
    act(() => {
      fireEvent.change(screen.getByTestId('crdt-timeline-slider'), { target: { value: '1500' } });
    });
    fireEvent.click(screen.getByText('Compare from here'));
    fireEvent.click(screen.getByText('Live'));
    // The side pane switched to the diff.
    expect(screen.getByTestId('crdt-diff-tab').getAttribute('aria-selected')).toBe('true');
    const removed = screen.getByTestId('crdt-diff-removed');
    expect(removed.textContent).toContain('/doc/items/1');
    expect(rowPaths()).not.toContain('/doc/items/1');
    const changed = screen.getByTestId('crdt-diff-changed');
    expect(changed.textContent).toContain('/doc/title');
    expect(changed.textContent).toContain('value "one" → "three"');
    expect(changed.textContent).toContain('size 3 → 5');
    expect(screen.getByTestId('crdt-diff-added').textContent).toContain('/doc/author');
    // Changed rows say what changed in their tooltip.
    expect(document.querySelector('[data-path="/doc/title"]')?.getAttribute('title')).toBe(
      'changed: value "one" → "three"; size 3 → 5'
    );
    // Selecting an entry selects the node; its details say what changed.
    fireEvent.click(screen.getByText('/doc/title', { selector: 'span' }));
    expect(document.querySelector('[aria-selected="true"][data-path]')?.getAttribute('data-path')).toBe(
      '/doc/title'
    );
    expect(screen.getByTestId('crdt-details-change').textContent).toContain('value "one" → "three"');
    // Back to the updates; dropping the diff base hides the tabs.
    fireEvent.click(screen.getByRole('tab', { name: 'Updates' }));
    expect(screen.getByTestId('crdt-updates')).toBeTruthy();
    fireEvent.click(screen.getByText(/Diff from/));
    expect(screen.queryByTestId('crdt-diff-tab')).toBeNull();
  });

  describe('filter', () => {
    afterEach(() => {
      vi.useRealTimers();
    });
    const input = () =>
      screen.getByTestId('crdt-search').querySelector('input') ?? screen.getByTestId('crdt-search');
    const selectedPath = () =>
      document.querySelector('[role="treeitem"][aria-selected="true"]')?.getAttribute('data-path') ?? null;

    it('runs after a pause in typing (debounced), not on every keystroke', () => {
      vi.useFakeTimers();
      render(<CrdtPanel {...props([treeFrame(doc('Hello'))])} />);
      const all = rowPaths();
      fireEvent.change(input(), { target: { value: 'i' } });
      fireEvent.change(input(), { target: { value: 'it' } });
      fireEvent.change(input(), { target: { value: 'items/1' } });
      act(() => {
        vi.advanceTimersByTime(FILTER_DEBOUNCE_MS - 10);
      });
      expect(rowPaths()).toEqual(all);
      act(() => {
        vi.advanceTimersByTime(20);
      });
      expect(rowPaths()).toEqual(['/doc', '/doc/items', '/doc/items/1']);
    });

    it('collapsing while filtering works on the filtered rows and leaves the saved expansion alone', () => {
      vi.useFakeTimers();
      render(<CrdtPanel {...props([treeFrame(doc('Hello'))], { expandDepth: 1 })} />);
      const saved = rowPaths();
      expect(saved).toEqual(['/doc', '/doc/title', '/doc/items']);
      fireEvent.change(input(), { target: { value: 'items/' } });
      act(() => {
        vi.advanceTimersByTime(FILTER_DEBOUNCE_MS);
      });
      expect(rowPaths()).toEqual(['/doc', '/doc/items', '/doc/items/0', '/doc/items/1']);
      // Collapse /doc/items (its toggle), then /doc with the keyboard.
      const toggle = document.querySelector('[data-path="/doc/items"] [data-toggle]') as Element;
      fireEvent.click(toggle);
      expect(rowPaths()).toEqual(['/doc', '/doc/items']);
      expect(document.querySelector('[data-path="/doc/items"]')?.getAttribute('aria-expanded')).toBe('false');
      fireEvent.click(toggle);
      expect(rowPaths()).toEqual(['/doc', '/doc/items', '/doc/items/0', '/doc/items/1']);
      const tree = screen.getByTestId('crdt-tree');
      fireEvent.keyDown(tree, { key: 'Home' });
      fireEvent.keyDown(tree, { key: 'ArrowLeft' });
      expect(rowPaths()).toEqual(['/doc']);
      // Without the filter: the expansion from before it.
      fireEvent.change(input(), { target: { value: '' } });
      act(() => {
        vi.advanceTimersByTime(1);
      });
      expect(rowPaths()).toEqual(saved);
    });

    it('goes to the next / previous match with Enter / Shift+Enter (wrapping) and the toolbar buttons', () => {
      vi.useFakeTimers();
      render(<CrdtPanel {...props([treeFrame(doc('Hello'))])} />);
      fireEvent.change(input(), { target: { value: 'items/' } });
      // Enter before the debounce ran: the filter runs now and the first match is selected.
      fireEvent.keyDown(input(), { key: 'Enter' });
      expect(selectedPath()).toBe('/doc/items/0');
      expect(screen.getByTestId('crdt-summary').textContent).toContain('1 of 2 matches');
      fireEvent.keyDown(input(), { key: 'Enter' });
      expect(selectedPath()).toBe('/doc/items/1');
      fireEvent.keyDown(input(), { key: 'Enter' });
      expect(selectedPath()).toBe('/doc/items/0');
      fireEvent.keyDown(input(), { key: 'Enter', shiftKey: true });
      expect(selectedPath()).toBe('/doc/items/1');
      fireEvent.click(screen.getByLabelText('Previous match'));
      expect(selectedPath()).toBe('/doc/items/0');
      // A match inside a subtree collapsed in the filter view is revealed.
      fireEvent.click(document.querySelector('[data-path="/doc/items"] [data-toggle]') as Element);
      expect(rowPaths()).not.toContain('/doc/items/1');
      fireEvent.click(screen.getByLabelText('Next match'));
      expect(selectedPath()).toBe('/doc/items/1');
      expect(rowPaths()).toContain('/doc/items/1');
    });
  });

  describe('accessibility and narrow panels', () => {
    afterEach(() => {
      vi.restoreAllMocks();
    });

    it('the time slider steps between known instants with the keyboard and reads the instant aloud', () => {
      const { rerender } = render(<CrdtPanel {...props([treeFrame(doc('one'), { ts: 1000 })])} />);
      rerender(<CrdtPanel {...props([treeFrame(doc('two'), { ts: 3000 })])} />);
      rerender(<CrdtPanel {...props([treeFrame(doc('three'), { ts: 5000 })])} />);
      const slider = screen.getByTestId('crdt-timeline-slider');
      const root = () => screen.getByTestId('collabblocks-crdt-panel-root');
      expect(slider.getAttribute('aria-valuetext')).toBe('Live: the current document');
      fireEvent.keyDown(slider, { key: 'ArrowLeft' });
      expect(root().getAttribute('data-state-ts')).toBe('5000');
      expect(slider.getAttribute('aria-valuetext')).toBe(
        '1970-01-01 00:00:05.000, step 3 of 3, watched live'
      );
      fireEvent.keyDown(slider, { key: 'ArrowLeft' });
      expect(screen.getByText('"two"')).toBeTruthy();
      expect(slider.getAttribute('aria-valuetext')).toContain('step 2 of 3');
      fireEvent.keyDown(slider, { key: 'Home' });
      expect(screen.getByText('"one"')).toBeTruthy();
      fireEvent.keyDown(slider, { key: 'ArrowLeft' });
      expect(root().getAttribute('data-state-ts')).toBe('1000');
      fireEvent.keyDown(slider, { key: 'ArrowUp' });
      expect(root().getAttribute('data-state-ts')).toBe('3000');
      fireEvent.keyDown(slider, { key: 'ArrowRight' });
      fireEvent.keyDown(slider, { key: 'ArrowRight' });
      expect(root().getAttribute('data-mode')).toBe('live');
      fireEvent.keyDown(slider, { key: 'PageDown' });
      expect(root().getAttribute('data-state-ts')).toBe('1000');
      fireEvent.keyDown(slider, { key: 'End' });
      expect(root().getAttribute('data-mode')).toBe('live');
    });

    it('tree rows carry level, position and set size; a header names the columns (fewer when narrow)', () => {
      const { rerender } = render(<CrdtPanel {...props([treeFrame(doc('Hello'))], { expandDepth: 5 })} />);
      const attrs = (p: string) => {
        const el = document.querySelector(`[role="treeitem"][data-path="${p}"]`);
        return ['aria-level', 'aria-posinset', 'aria-setsize'].map((a) => el?.getAttribute(a));
      };
      expect(attrs('/doc')).toEqual(['1', '1', '1']);
      expect(attrs('/doc/title')).toEqual(['2', '1', '2']);
      expect(attrs('/doc/items')).toEqual(['2', '2', '2']);
      expect(attrs('/doc/items/1')).toEqual(['3', '2', '2']);
      const label = document.querySelector('[data-path="/doc/title"]')?.getAttribute('aria-label');
      expect(label).toBe('title Text "Hello", size 5, 0 items, 0 tombstones, last change client 42 clock 3 ');
      const header = () => screen.getByTestId('crdt-tree-header').textContent;
      expect(header()).toBe('NodeSizeItemsTomb.Last change');
      // 400 px: the counts stay (with their header), the last change goes (it is in the details).
      rerender(<CrdtPanel {...props([treeFrame(doc('Hello'))], { expandDepth: 5 }, { width: 400 })} />);
      expect(header()).toBe('NodeSizeItemsTomb.');
      expect(document.querySelector('[data-path="/doc/title"]')?.textContent).toContain('500');
      // The filter keeps positions among the shown siblings.
      const box =
        screen.getByTestId('crdt-search').querySelector('input') ?? screen.getByTestId('crdt-search');
      fireEvent.change(box, { target: { value: 'items/1' } });
      fireEvent.keyDown(box, { key: 'Enter' });
      expect(attrs('/doc/items')).toEqual(['2', '1', '1']);
      expect(attrs('/doc/items/1')).toEqual(['3', '1', '1']);
    });

    it('below 560 px: copy path and export in the toolbar, the updates and details behind a toggle', async () => {
      const writeText = vi.fn(() => Promise.resolve());
      Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
      let blob: Blob | null = null;
      URL.createObjectURL = vi.fn((b: Blob) => {
        blob = b;
        return 'blob:x';
      });
      URL.revokeObjectURL = vi.fn();
      const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => undefined);
      const updates = createDataFrame({
        refId: 'U',
        meta: { custom: { [COLLAB_FRAME_KIND_KEY]: 'updates', room: 'acme/doc' } },
        fields: [
          { name: 'timestamp', type: FieldType.time, values: [2000] },
          { name: 'id', type: FieldType.string, values: ['u1'] },
          { name: 'paths', type: FieldType.string, values: ['["/doc/title"]'] },
        ],
      });
      render(<CrdtPanel {...props([treeFrame(doc('Hello')), updates], {}, { width: 400 })} />);
      expect(screen.queryByTestId('crdt-side')).toBeNull();
      expect(screen.getByLabelText('Copy path')).toHaveProperty('disabled', true);
      fireEvent.click(document.querySelector('[data-path="/doc/title"]') as Element);
      fireEvent.click(screen.getByLabelText('Copy path'));
      await waitFor(() => expect(screen.getByTestId('crdt-copy-status').textContent).toBe('Copied'));
      expect(writeText).toHaveBeenCalledWith('/doc/title');
      fireEvent.click(screen.getByLabelText('Export JSON'));
      expect(click).toHaveBeenCalled();
      const text = await new Promise<unknown>((resolve) => {
        const reader = new FileReader();
        reader.onload = () => resolve(reader.result);
        reader.readAsText(blob as unknown as Blob);
      });
      expect(text).toBe('"Hello"');
      // The toggle opens the side pane over the tree, and closes it again.
      const toggle = screen.getByTestId('crdt-side-toggle');
      expect(toggle.getAttribute('aria-pressed')).toBe('false');
      fireEvent.click(toggle);
      expect(toggle.getAttribute('aria-pressed')).toBe('true');
      expect(screen.getByTestId('crdt-updates').textContent).toContain('/doc/title');
      expect(screen.getByTestId('crdt-details').textContent).toContain('/doc/title');
      expect(screen.queryByTestId('crdt-tree')).toBeNull();
      fireEvent.click(toggle);
      expect(screen.queryByTestId('crdt-side')).toBeNull();
      expect(screen.getByTestId('crdt-tree')).toBeTruthy();
    });

    it('wide panels: the side pane beside the tree by default; the toggle hides it', () => {
      render(<CrdtPanel {...props([treeFrame(doc('Hello'))])} />);
      expect(screen.getByTestId('crdt-side')).toBeTruthy();
      fireEvent.click(screen.getByTestId('crdt-side-toggle'));
      expect(screen.queryByTestId('crdt-side')).toBeNull();
      expect(screen.getByTestId('crdt-tree')).toBeTruthy();
    });
  });

  it("formats every instant in the dashboard's time zone", () => {
    const t0 = Date.parse('2026-01-01T10:00:00Z');
    const timeRange = { from: dateTime(t0 - 60_000), to: dateTime(t0 + 60_000), raw: { from: 'a', to: 'b' } };
    const nodes = doc('one').map((n) => (n.path === '/doc/title' ? { ...n, lastTime: t0 + 1_500 } : n));
    const updates = createDataFrame({
      refId: 'U',
      meta: { custom: { [COLLAB_FRAME_KIND_KEY]: 'updates', room: 'acme/doc' } },
      fields: [
        { name: 'timestamp', type: FieldType.time, values: [t0 + 2_250] },
        { name: 'id', type: FieldType.string, values: ['u1'] },
        { name: 'paths', type: FieldType.string, values: ['["/doc/title"]'] },
      ],
    });
    const series = [treeFrame(nodes, { ts: t0 }, 'historyTree'), updates];
    // Asia/Tokyo is UTC+9 all year.
    render(
      <CrdtPanel
        {...props(
          series,
          {},
          { timeZone: 'Asia/Tokyo', timeRange, data: { ...props(series).data, timeRange } }
        )}
      />
    );
    const title = document.querySelector('[data-path="/doc/title"]');
    expect(title?.textContent).toContain('42:3 19:00:01');
    expect(screen.getByTestId('crdt-updates').textContent).toContain('19:00:02.250');
    fireEvent.click(title as Element);
    expect(screen.getByTestId('crdt-details').textContent).toContain('2026-01-01 19:00:01.500');
    act(() => {
      fireEvent.change(screen.getByTestId('crdt-timeline-slider'), { target: { value: String(t0 + 1_000) } });
    });
    expect(screen.getByTestId('crdt-instant').textContent).toBe('2026-01-01 19:00:01.000');
    expect(screen.getByTestId('crdt-state-status').textContent).toBe('pod state at 19:00:00.000');
    fireEvent.click(screen.getByText('Compare from here'));
    expect(screen.getByText(/Diff from 19:00:01\.000/)).toBeTruthy();
  });

  it('keeps only the visible rows of a 20,000-node document in the DOM', () => {
    const nodes = bigDocument(20_000);
    render(<CrdtPanel {...props([treeFrame(nodes)], { expandDepth: 20 })} />);
    expect(Number(screen.getByTestId('crdt-tree').getAttribute('data-rows'))).toBe(nodes.length);
    expect(document.querySelectorAll('[role="treeitem"]').length).toBeLessThan(60);
  });

  it('reads a ProseMirror document as itself: node name, attributes, text with its marks (issue 13)', () => {
    const runs = JSON.stringify([
      { length: 6, marks: ['bold'], text: 'Hello ' },
      { length: 5, marks: ['italic', 'link'], text: 'world', values: { link: { href: 'https://x' } } },
    ]);
    const nodes = [
      node('/prosemirror', 'XmlFragment', {
        depth: 0,
        parent: '',
        key: 'prosemirror',
        children: 1,
        binding: 'prosemirror',
      }),
      node('/prosemirror/0', 'XmlElement', {
        depth: 1,
        parent: '/prosemirror',
        key: '0',
        children: 1,
        nodeName: 'heading',
        attrs: '{"level":2}',
      }),
      node('/prosemirror/0/0', 'XmlText', {
        depth: 2,
        parent: '/prosemirror/0',
        key: '0',
        value: 'Hello world',
        runs,
      }),
    ];
    render(<CrdtPanel {...props([treeFrame(nodes)], { expandDepth: 5 })} />);
    const row = (p: string) => document.querySelector(`[data-path="${p}"]`) as HTMLElement;
    expect(row('/prosemirror/0').textContent).toContain('<heading level=2>');
    expect(row('/prosemirror').textContent).toContain('prosemirror document');
    const bold = [
      ...row('/prosemirror/0/0').querySelectorAll('[data-testid="crdt-runs"] span'),
    ] as HTMLElement[];
    expect(bold.map((b) => b.textContent)).toEqual(['Hello ', 'world']);
    expect(bold[0]?.style.fontWeight).toBe('700');
    expect(bold[1]?.style.fontStyle).toBe('italic');
    expect(bold[1]?.style.textDecoration).toBe('underline');
  });
});
