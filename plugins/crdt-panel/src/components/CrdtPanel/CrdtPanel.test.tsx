import React from 'react';
import { act, fireEvent, render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { type DataFrame, type PanelProps, LoadingState, dateTime } from '@grafana/data';

import { bigDocument, node, treeFrame } from '../../data/testing';
import { plugin } from '../../module';
import { type CrdtPanelOptions, DEFAULT_OPTIONS } from '../../types';
import { CrdtPanel } from './CrdtPanel';

function props(series: DataFrame[], extra: Partial<CrdtPanelOptions> = {}): PanelProps<CrdtPanelOptions> {
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

  it('renders the tree, expands with the keyboard, filters, and flashes nodes changed by a new emission', () => {
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
    expect(rowPaths()).toEqual(['/doc', '/doc/items', '/doc/items/1']);
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

  it('keeps only the visible rows of a 20,000-node document in the DOM', () => {
    const nodes = bigDocument(20_000);
    render(<CrdtPanel {...props([treeFrame(nodes)], { expandDepth: 20 })} />);
    expect(Number(screen.getByTestId('crdt-tree').getAttribute('data-rows'))).toBe(nodes.length);
    expect(document.querySelectorAll('[role="treeitem"]').length).toBeLessThan(60);
  });
});
