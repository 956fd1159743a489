/* global window, HTMLCanvasElement */
// jsdom lacks a few browser APIs that @grafana/ui touches at import or render time.
import { afterEach } from 'vitest';
import { cleanup } from '@testing-library/react';
import * as grafanaData from '@grafana/data';

import { initStandardEditors } from './standard-editors.mjs';

if (!window.matchMedia) {
  window.matchMedia = (query) => ({
    matches: false,
    media: query,
    onchange: null,
    addListener: () => {},
    removeListener: () => {},
    addEventListener: () => {},
    removeEventListener: () => {},
    dispatchEvent: () => false,
  });
}
if (!window.ResizeObserver) {
  window.ResizeObserver = class {
    observe() {}
    unobserve() {}
    disconnect() {}
  };
}
HTMLCanvasElement.prototype.getContext = () => null;

afterEach(() => cleanup());

// Option builders need the standard editor registries Grafana initialises at boot.
initStandardEditors(grafanaData);
