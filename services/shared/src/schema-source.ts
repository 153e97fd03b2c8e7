// The codec's view of the registry: writer schemas by id, counted in the metrics.
import { SchemaRegistryClient, SchemaRegistryError } from './contracts';
import type { Metrics } from './metrics';

/** Writer schemas by id for the codec; "unknown id" is an answer, not a failure. */
export function schemaSource(registry: SchemaRegistryClient, metrics: Metrics) {
  return {
    async schemaById(id: number) {
      try {
        const schema = await registry.schemaById(id);
        metrics.registryCalls.inc({ operation: 'schemaById', outcome: 'ok' });
        return schema;
      } catch (err) {
        const notFound = err instanceof SchemaRegistryError && err.httpStatus === 404;
        metrics.registryCalls.inc({ operation: 'schemaById', outcome: notFound ? 'not_found' : 'error' });
        if (notFound) return undefined;
        throw err;
      }
    },
  };
}
