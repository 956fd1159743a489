export * from './schema.js';
export * from './paths.js';
export * from './bindings.js';
