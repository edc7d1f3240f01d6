// Ticket-system webhooks (docs/webhooks.md): signature checks and payload mapping, pure.
export * from './signatures.js';
export * from './grant-text.js';
export * from './events.js';
export * from './delivery.js';
