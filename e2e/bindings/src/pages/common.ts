/**
 * What every binding page shares: the stock y-websocket provider against a pod, the user the
 * binding publishes, and the API the test drives (`window.__binding`). Runs in the browser.
 */
import * as Y from 'yjs';
import { WebsocketProvider } from 'y-websocket';
import type { BindingApi, BindingPageConfig } from '../api.js';

declare global {
  interface Window {
    __bindingConfig: BindingPageConfig;
    __binding?: BindingApi;
    __bindingError?: string;
  }
}

export function connect(): { doc: Y.Doc; provider: WebsocketProvider; cfg: BindingPageConfig } {
  const cfg = window.__bindingConfig;
  const doc = new Y.Doc();
  const provider = new WebsocketProvider(cfg.url, cfg.room, doc, { params: { token: cfg.token } });
  provider.awareness.setLocalStateField('user', {
    name: cfg.name,
    color: cfg.color,
    colorLight: `${cfg.color}33`,
  });
  return { doc, provider, cfg };
}

export function editorElement(): HTMLElement {
  const el = document.getElementById('editor');
  if (!el) throw new Error('no #editor element');
  return el;
}

/** Publishes the page API once the provider synced with the pod. */
export function publish(provider: WebsocketProvider, api: BindingApi): void {
  const done = (): void => {
    window.__binding = api;
  };
  if (provider.synced) done();
  else provider.once('sync', done);
}
