export { presenceFields, type PresenceBindingView } from './render.js';
export {
  PresenceReader,
  RootIndexCache,
  locate,
  type Reading,
  type ReadOptions,
  type ReaderOptions,
} from './locate/index.js';
export { recognise, plainCssColor, type Recognised, type RelPos } from './recognise/index.js';
