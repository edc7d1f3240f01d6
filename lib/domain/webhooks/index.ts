// Ticket-system webhooks (DESIGN §10): signature checks and payload mapping, pure.
export * from './signatures.js';
export * from './grant-text.js';
export * from './events.js';
export * from './delivery.js';
