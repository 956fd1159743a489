import { css } from '@emotion/css';
import { type GrafanaTheme2 } from '@grafana/data';

export const getStyles = (theme: GrafanaTheme2) => ({
  root: css({
    display: 'flex',
    flexDirection: 'column',
    overflow: 'hidden',
    background: theme.colors.background.primary,
    color: theme.colors.text.primary,
  }),
  empty: css({
    display: 'flex',
    alignItems: 'center',
    justifyContent: 'center',
    color: theme.colors.text.secondary,
    background: theme.colors.background.secondary,
    borderRadius: theme.shape.radius.default,
    fontSize: theme.typography.bodySmall.fontSize,
  }),
  toolbar: css({
    display: 'flex',
    alignItems: 'center',
    gap: theme.spacing(1),
    padding: theme.spacing(0, 0.5),
    borderBottom: `1px solid ${theme.colors.border.weak}`,
  }),
  // At most ~half the toolbar, so the summary stays readable on narrow panels.
  search: css({ flex: '0 1 260px', minWidth: 80, maxWidth: '45%' }),
  status: css({
    color: theme.colors.text.secondary,
    fontSize: theme.typography.bodySmall.fontSize,
    whiteSpace: 'nowrap',
  }),
  info: css({
    flex: 1,
    minWidth: 0,
    color: theme.colors.text.secondary,
    fontSize: theme.typography.bodySmall.fontSize,
    whiteSpace: 'nowrap',
    overflow: 'hidden',
    textOverflow: 'ellipsis',
  }),
  body: css({ display: 'flex', minHeight: 0 }),
  tabs: css({
    display: 'flex',
    borderBottom: `1px solid ${theme.colors.border.weak}`,
    flex: 'none',
  }),
  tab: css({
    flex: 1,
    border: 'none',
    background: 'none',
    color: theme.colors.text.secondary,
    fontSize: theme.typography.bodySmall.fontSize,
    cursor: 'pointer',
    whiteSpace: 'nowrap',
    overflow: 'hidden',
    textOverflow: 'ellipsis',
    '&[aria-selected="true"]': {
      color: theme.colors.text.primary,
      boxShadow: `inset 0 -2px 0 ${theme.colors.primary.main}`,
    },
    '&:focus-visible': { outline: `2px solid ${theme.colors.primary.border}` },
  }),
  side: css({
    display: 'flex',
    flexDirection: 'column',
    borderLeft: `1px solid ${theme.colors.border.weak}`,
    minWidth: 0,
  }),
});

export type CrdtPanelStyles = ReturnType<typeof getStyles>;
