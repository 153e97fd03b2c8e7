export * from './settings';
export * from './setup';
export * from './http';
export * from './propagation';
export * from './messaging';
