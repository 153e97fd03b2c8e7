export * from './middleware';
export * from './principal';
export * from './verifier';
