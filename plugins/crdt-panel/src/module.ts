import { PanelPlugin } from '@grafana/data';

import { CrdtPanel } from './components/CrdtPanel/CrdtPanel';
import { type CrdtPanelOptions, DEFAULT_OPTIONS as D } from './types';

export type { CrdtPanelOptions } from './types';

export const plugin = new PanelPlugin<CrdtPanelOptions>(CrdtPanel).setPanelOptions((builder) =>
  builder
    .addNumberInput({
      path: 'expandDepth',
      name: 'Expand depth',
      description: 'Levels expanded when a document first appears (0 = collapsed)',
      defaultValue: D.expandDepth,
      settings: { min: 0, max: 20, integer: true },
    })
    .addBooleanSwitch({
      path: 'showValues',
      name: 'Value previews',
      description: 'Values are only in the data with content scope',
      defaultValue: D.showValues,
    })
    .addNumberInput({
      path: 'flashMs',
      name: 'Flash duration (ms)',
      description: 'How long nodes changed by the latest updates flash; 0 turns it off',
      defaultValue: D.flashMs,
      settings: { min: 0, max: 10_000, integer: true },
    })
    .addBooleanSwitch({
      path: 'showSide',
      name: 'Updates and details',
      description:
        'Side pane with recent updates and the selected node, open by default (beside the tree from 560 px wide; narrower panels open it with the toolbar button)',
      defaultValue: D.showSide,
    })
    .addTextInput({
      path: 'emptyMessage',
      name: 'Empty message',
      description: 'Shown when the query returns no tree',
      defaultValue: D.emptyMessage,
    })
);
