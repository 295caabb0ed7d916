export * from './env.js';
export * from './schema.js';
export * from './lockstep-error.js';
export * from './uuidv7.js';
export * from './wire.js';
export * from './kafkajs-config.js';
export * from './outbox-event.decorator.js';
