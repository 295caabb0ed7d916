// `@lockstep/consumer/terminus`: a separate entry point, because @nestjs/terminus is an
// optional peer dependency; the main index never imports it.
export * from './lockstep-consumer.health-indicator.js';
