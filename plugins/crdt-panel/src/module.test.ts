import { createElement } from 'react';
import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { type PanelProps, LoadingState, createDataFrame, getDefaultTimeRange } from '@grafana/data';

import { plugin, SkeletonPanel } from './module';

type Options = Parameters<typeof SkeletonPanel>[0]['options'];

function props(options: Options, series = 0): PanelProps<Options> {
  const timeRange = getDefaultTimeRange();
  return {
    id: 1,
    data: {
      state: LoadingState.Done,
      series: Array.from({ length: series }, () => createDataFrame({ fields: [] })),
      timeRange,
    },
    timeRange,
    timeZone: 'utc',
    options,
    fieldConfig: { defaults: {}, overrides: [] },
    transparent: false,
    width: 300,
    height: 200,
    renderCounter: 0,
    title: 'test',
    eventBus: { publish: () => undefined } as unknown as PanelProps['eventBus'],
    onOptionsChange: () => undefined,
    onFieldConfigChange: () => undefined,
    replaceVariables: (s: string) => s,
    onChangeTimeRange: () => undefined,
  };
}

describe('collabblocks-crdt-panel skeleton', () => {
  it('declares a default empty message through its option builder', () => {
    expect(typeof (plugin.defaults as Options).emptyMessage).toBe('string');
  });

  it('renders the empty state without data and a frame count with data', () => {
    const options = { emptyMessage: 'nothing here' };
    const { rerender } = render(createElement(SkeletonPanel, props(options)));
    expect(screen.getByTestId('collabblocks-crdt-panel-root').textContent).toBe('nothing here');
    rerender(createElement(SkeletonPanel, props(options, 2)));
    expect(screen.getByTestId('collabblocks-crdt-panel-root').textContent).toBe('2 frame(s)');
  });
});
