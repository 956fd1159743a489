// Every rendered thing (panel, config editor, query editor) is a "mount": its own container and React root,
// wrapped in Grafana's ThemeContext for its theme and an error boundary that reports render errors.
import { Component, type ErrorInfo, type ReactNode } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { createTheme, type GrafanaTheme2, ThemeContext } from '@grafana/data';

import type { ThemeMode } from '../shared/types.js';

const themes = new Map<ThemeMode, GrafanaTheme2>();
export function getTheme(mode: ThemeMode): GrafanaTheme2 {
  let theme = themes.get(mode);
  if (!theme) {
    theme = createTheme({ colors: { mode } });
    themes.set(mode, theme);
  }
  return theme;
}

class MountErrorBoundary extends Component<{ mountKey: string; children: ReactNode }, { error?: Error }> {
  override state: { error?: Error } = {};
  static getDerivedStateFromError(error: Error) {
    return { error };
  }
  override componentDidCatch(error: Error, info: ErrorInfo) {
    console.error(
      `[harness] ${this.props.mountKey} crashed while rendering: ${error.message}`,
      info.componentStack
    );
  }
  override render() {
    if (this.state.error) {
      return <div data-harness-error={this.props.mountKey}>Render error: {this.state.error.message}</div>;
    }
    return this.props.children;
  }
}

export interface Mount {
  key: string;
  container: HTMLElement;
  root: Root;
  render(node: ReactNode, theme: ThemeMode): void;
  unmount(): void;
}

const mounts = new Map<string, Mount>();
let seq = 0;

export function createMount(kind: string, size?: { width: number; height: number }): Mount {
  seq += 1;
  const key = `${kind}-${seq}`;
  const container = document.createElement('div');
  container.dataset.harnessMount = key;
  container.style.display = 'inline-block';
  container.style.verticalAlign = 'top';
  container.style.margin = '8px';
  if (size) {
    container.style.width = `${size.width}px`;
    container.style.height = `${size.height}px`;
  }
  document.getElementById('reactRoot')?.appendChild(container);
  const root = createRoot(container);
  const mount: Mount = {
    key,
    container,
    root,
    render(node, mode) {
      const theme = getTheme(mode);
      container.style.background = theme.colors.background.primary;
      container.style.color = theme.colors.text.primary;
      container.style.fontFamily = theme.typography.fontFamily;
      root.render(
        <ThemeContext.Provider value={theme}>
          <MountErrorBoundary mountKey={key}>{node}</MountErrorBoundary>
        </ThemeContext.Provider>
      );
    },
    unmount() {
      root.unmount();
      container.remove();
      mounts.delete(key);
    },
  };
  mounts.set(key, mount);
  return mount;
}

export function getMount(key: string): Mount {
  const mount = mounts.get(key);
  if (!mount) throw new Error(`no mount ${key}`);
  return mount;
}

export function unmountAll(): void {
  for (const m of [...mounts.values()]) m.unmount();
}
