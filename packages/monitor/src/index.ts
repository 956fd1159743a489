/**
 * @collabblocks/monitor — what a Yjs server needs to be watched by the CollabBlocks Grafana suite:
 * the `/inspect` bridge (live presence, document tree, update diffs, traffic, metrics, history) over a
 * host interface, and the collab metrics taxonomy for `/metrics`. The collab pod is one host; the
 * Hocuspocus extension (`@collabblocks/hocuspocus`) is another.
 */
export * from './metrics/index.js';
