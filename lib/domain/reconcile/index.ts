// The reconcile engine's pure half: documents by meaning, diff → ordered actions, the R3 guard.
export * from './actions.js';
export * from './blast-radius.js';
export * from './diff.js';
export * from './guard.js';
export * from './normalize.js';
export * from './drift.js';
export * from './snapshot.js';
