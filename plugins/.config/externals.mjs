// Modules Grafana provides to plugins at runtime (its SystemJS shared-dependency map).
// Same list as @grafana/create-plugin's scaffold; the E2E harness registers exactly these bare names.
export const sharedModuleNames = [
  'lodash',
  'jquery',
  'moment',
  'slate',
  'emotion',
  '@emotion/react',
  '@emotion/css',
  'prismjs',
  'slate-plain-serializer',
  '@grafana/slate-react',
  'react',
  'react/jsx-runtime',
  'react/jsx-dev-runtime',
  'react-dom',
  'react-redux',
  'redux',
  'rxjs',
  'i18next',
  'react-router',
  'd3',
  'angular',
];

/** Prefix-matched packages (every subpath of these is external too). */
export const sharedModulePatterns = [/^@grafana\/ui/i, /^@grafana\/runtime/i, /^@grafana\/data/i];

/** webpack `externals` for an AMD plugin bundle. */
export const externals = [
  // `module` is the AMD meta module: its `uri` gives the plugin's public path at runtime.
  { 'amd-module': 'module' },
  ...sharedModuleNames,
  ...sharedModulePatterns,
  // Legacy `grafana/…` imports resolve to the bare name without the prefix.
  ({ request }, callback) => {
    if (request && request.startsWith('grafana/')) {
      return callback(undefined, request.slice('grafana/'.length));
    }
    return callback();
  },
];
