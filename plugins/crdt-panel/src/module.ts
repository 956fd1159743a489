// Skeleton panel: a real, minimal Grafana panel (themed empty state) so the build and the E2E harness
// have something to load. The panel engineers replace it with the real visualisation.
import { createElement } from 'react';
import { css } from '@emotion/css';
import { type GrafanaTheme2, type PanelProps, PanelPlugin } from '@grafana/data';
import { useStyles2 } from '@grafana/ui';

export interface CrdtPanelOptions {
  /** Text shown when the query returns no frames. */
  emptyMessage: string;
}

const getStyles = (theme: GrafanaTheme2) => ({
  empty: css({
    display: 'flex',
    alignItems: 'center',
    justifyContent: 'center',
    height: '100%',
    color: theme.colors.text.secondary,
    background: theme.colors.background.secondary,
    borderRadius: theme.shape.radius.default,
    fontSize: theme.typography.bodySmall.fontSize,
  }),
});

export function SkeletonPanel({ data, options, width, height }: PanelProps<CrdtPanelOptions>) {
  const styles = useStyles2(getStyles);
  const frames = data.series.length;
  return createElement(
    'div',
    { className: styles.empty, style: { width, height }, 'data-testid': 'collabblocks-crdt-panel-root' },
    frames === 0 ? options.emptyMessage : `${frames} frame(s)`
  );
}

export const plugin = new PanelPlugin<CrdtPanelOptions>(SkeletonPanel).setPanelOptions((builder) =>
  builder.addTextInput({
    path: 'emptyMessage',
    name: 'Empty message',
    description: 'Shown when the query returns no data',
    defaultValue: 'No document selected',
  })
);
