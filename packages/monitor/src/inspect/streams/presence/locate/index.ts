export { locate, type LocateOptions } from './locate.js';
export { RootIndexCache, type RootIndex, type ItemPos } from './rootIndex.js';
export { PresenceReader, type Reading, type ReadOptions, type ReaderOptions } from './reader.js';
