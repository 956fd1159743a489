import { PanelPlugin } from '@grafana/data';

import { PresencePanel } from './components/PresencePanel/PresencePanel';
import { COLOR_SCHEMES } from './data/colorScheme';
import { MAX_GRID_SIZE, MIN_GRID_SIZE } from './data/heatmap';
import { DEFAULT_OPTIONS as D, type PresenceOptions } from './types';

export type { PresenceOptions } from './types';

export const plugin = new PanelPlugin<PresenceOptions>(PresencePanel).setPanelOptions((builder) =>
  builder
    .addRadio({
      path: 'roomMode',
      name: 'Rooms',
      description: 'One room with a selector, or every room side by side (small multiples)',
      defaultValue: D.roomMode,
      settings: {
        options: [
          { value: 'select', label: 'Selector' },
          { value: 'multiples', label: 'Small multiples' },
        ],
      },
    })
    .addRadio({
      path: 'view',
      name: 'View',
      description:
        'Document: a minimap of the blocks with each caret and selection (text and rich-text editors). Canvas: 2D pointers in a space fitted to them (tldraw, Excalidraw, simulator). Auto picks from the data.',
      defaultValue: D.view,
      settings: {
        options: [
          { value: 'auto', label: 'Auto' },
          { value: 'document', label: 'Document' },
          { value: 'canvas', label: 'Canvas' },
        ],
      },
    })
    .addTextInput({
      path: 'room',
      name: 'Initial room',
      description: 'Room shown first with the selector (empty: the first room in the data)',
      defaultValue: D.room,
    })
    .addSliderInput({
      path: 'gridSize',
      name: 'Heatmap grid size',
      description: 'Cells per side',
      category: ['Heatmap'],
      defaultValue: D.gridSize,
      settings: { min: MIN_GRID_SIZE, max: MAX_GRID_SIZE, step: 1 },
    })
    .addNumberInput({
      path: 'halfLifeSec',
      name: 'Decay half-life (s)',
      description: 'Time for the density to halve; 0 keeps it forever',
      category: ['Heatmap'],
      defaultValue: D.halfLifeSec,
      settings: { min: 0, max: 86_400 },
    })
    .addSelect({
      path: 'colorScheme',
      name: 'Colour scheme',
      description: "Built from Grafana's visualization colours",
      category: ['Heatmap'],
      defaultValue: D.colorScheme,
      settings: {
        options: COLOR_SCHEMES.map((s) => ({ value: s, label: s[0]?.toUpperCase() + s.slice(1) })),
      },
    })
    .addBooleanSwitch({
      path: 'showLabels',
      name: 'Cursor labels',
      description: 'Names with content scope, pseudonyms otherwise',
      category: ['Cursors'],
      defaultValue: D.showLabels,
    })
    .addBooleanSwitch({
      path: 'showUserList',
      name: 'User list',
      category: ['Cursors'],
      defaultValue: D.showUserList,
    })
    .addNumberInput({
      path: 'staleUpdates',
      name: 'Stale after N unchanged updates',
      description: '0 disables this rule',
      category: ['Staleness'],
      defaultValue: D.staleUpdates,
      settings: { min: 0, integer: true },
    })
    .addNumberInput({
      path: 'staleSeconds',
      name: 'Stale after M unchanged seconds',
      description: '0 disables this rule',
      category: ['Staleness'],
      defaultValue: D.staleSeconds,
      settings: { min: 0 },
    })
    .addNumberInput({
      path: 'maxUsers',
      name: 'Users kept per room',
      description: 'Bounds memory; rows beyond it are dropped and counted',
      category: ['Limits'],
      defaultValue: D.maxUsers,
      settings: { min: 1, max: 10_000, integer: true },
    })
    .addTextInput({
      path: 'emptyMessage',
      name: 'Empty message',
      description: 'Shown when the query returns no presence data',
      defaultValue: D.emptyMessage,
    })
);
