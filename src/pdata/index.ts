export * from './types.js';
export * from './attributes.js';
export * from './ids.js';
export * from './time.js';
export * from './clone.js';
export * from './count.js';
export * from './resource.js';
