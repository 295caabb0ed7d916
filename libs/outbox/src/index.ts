export * from './outbox-event.decorator.js';
