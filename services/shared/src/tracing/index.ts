export * from './settings';
export * from './setup';
export * from './http';
