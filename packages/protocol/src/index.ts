export * from './rooms.js';
export * from './closeCodes.js';
export * from './ywsMessages.js';
export * from './query.js';
export * from './inspect/index.js';
export * from './frames.js';
export * from './errors.js';
export * from './formatting.js';
