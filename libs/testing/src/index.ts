export * from './kafka-test-kit.js';
export * from './test-database.js';
export * from './wait-for.js';
export * from './apply-schema.js';
export * from './relay-test-kit.js';
export * from './tcp-proxy.js';
