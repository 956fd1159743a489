/**
 * The extension seam in one place: the hook and event types (`types.ts`) and the bus that
 * dispatches them (`bus.ts`).
 */
export * from './types.js';
export { HookBus } from './bus.js';
