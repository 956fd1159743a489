// First module of every plugin entry: derive webpack's public path from the AMD module URI so lazily
// loaded chunks and assets resolve next to dist/module.js wherever Grafana (or the harness) serves it.
import amdMetaModule from 'amd-module';

/* global __PLUGIN_ID__ */
// eslint-disable-next-line no-undef -- webpack free variable
__webpack_public_path__ =
  amdMetaModule && amdMetaModule.uri
    ? amdMetaModule.uri.slice(0, amdMetaModule.uri.lastIndexOf('/') + 1)
    : `public/plugins/${__PLUGIN_ID__}/`;
