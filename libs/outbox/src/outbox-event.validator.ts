import { validate, type ValidationError } from 'class-validator';
import { OutboxValidationError, type OutboxViolation } from './outbox.errors.js';

function flatten(errors: ValidationError[], prefix = ''): OutboxViolation[] {
  const out: OutboxViolation[] = [];
  for (const error of errors) {
    const property = prefix ? `${prefix}.${error.property}` : error.property;
    if (error.constraints && Object.keys(error.constraints).length > 0) {
      out.push({ property, constraints: { ...error.constraints } });
    }
    if (error.children?.length) out.push(...flatten(error.children, property));
  }
  return out;
}

/**
 * Runs the event's class-validator rules. `forbidUnknownValues` is off because the event itself
 * is the validated class; nested objects need `@ValidateNested()` + `@Type()` as usual.
 * Error messages name the field but never its value.
 */
export async function validateOutboxEvent(event: object, eventType: string): Promise<void> {
  const errors = await validate(event, {
    forbidUnknownValues: false,
    validationError: { target: false, value: false },
  });
  if (errors.length > 0) throw new OutboxValidationError(eventType, flatten(errors));
}
