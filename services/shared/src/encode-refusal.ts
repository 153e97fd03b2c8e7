// Why the codec refuses to publish a payload: the contract violations it names before (or,
// for Avro's own types, after) writing fails, so a producer learns every bad field at once.
import type { Type } from 'avsc';
import { OrderflowError } from './errors';
import type { EventName } from './topics';
import type { Violation } from './validation';

export function refuseInvalid(event: EventName, violations: Violation[]): void {
  if (violations.length > 0) {
    throw new OrderflowError(`refusing to publish an invalid ${event}`, { details: violations });
  }
}

/** Where a value breaks its Avro type, as JSON pointers: only asked once writing it has failed. */
export function avroViolations(type: Type, value: unknown): Violation[] {
  const violations: Violation[] = [];
  type.isValid(value, {
    errorHook: (path: string[], any: unknown, at: Type) =>
      violations.push({
        path: path.map((p) => `/${p}`).join(''),
        message: `${JSON.stringify(any) ?? 'undefined'} is not ${at.typeName === 'logical:timestamp-millis' ? 'an RFC 3339 date-time' : `a valid ${at.typeName}`}`,
      }),
  });
  return violations;
}
