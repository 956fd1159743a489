export * from './schema.js';
export * from './paths.js';
