// The registry client's translation to and from the wire: the library's errors into
// orderflow's, request bodies, a per-request timeout.
import type { SchemaRegistryAPIClientArgs } from '@kafkajs/confluent-schema-registry/dist/api';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { OrderflowError, UnavailableError } from '../errors';
import type { AvroSchema } from './avro';
import { SchemaRegistryError, type SchemaReference, type SubjectSchema } from './registry-types';

export const CLIENT_ID = 'orderflow';

type Middleware = NonNullable<SchemaRegistryAPIClientArgs['middlewares']>[number];

/**
 * The library's errors carry the HTTP status and `<clientId> - <registry message>`; a failure
 * to connect or a timeout arrives as a 400 with no registry message (mappersmith's client error).
 */
export function translate(error: unknown, target: string): Error {
  if (error instanceof OrderflowError) return error;
  const status = (error as { status?: unknown }).status;
  const message = (error as Error).message ?? String(error);
  if (typeof status !== 'number')
    return new SchemaRegistryError(`Schema registry refused ${target}: ${message}`, 0, message);
  const reason = message.startsWith(`${CLIENT_ID} - `) ? message.slice(CLIENT_ID.length + 3) : message;
  const noAnswer = /^Error, status \d+: /.test(reason);
  if (noAnswer && status === 400) {
    return new UnavailableError(
      `Schema registry unreachable: ${target}: ${reason.replace(/^Error, status \d+: /, '')}`,
      {
        cause: error,
      },
    );
  }
  return failureOf(status, reason, target);
}

export function failureOf(status: number, reason: string, target: string): Error {
  if (status >= 500 || status === 408 || status === 429) {
    return new UnavailableError(`Schema registry failed: ${target}: ${status} ${reason}`);
  }
  return new SchemaRegistryError(`Schema registry refused ${target}: ${status} ${reason}`, status, reason);
}

/** Sets a per-request timeout on every call the library makes. */
export function timeoutMiddleware(timeoutMs: number): Middleware {
  return () => ({
    prepareRequest: (next) => next().then((request) => request.enhance({ timeout: timeoutMs })),
  });
}

/**
 * Keeps connections to the registry until the registry closes them. Node's default agent drops
 * idle sockets after 5 s, and a call that picks one up as it expires hangs until its timeout
 * (reproduced here against Apicurio: about one call in ten after 5.0-5.15 s idle). A connection
 * per call avoids that too, but Apicurio under load hung up on some of those (`socket hang up`).
 */
export function registryAgent(protocol: string): HttpAgent {
  return protocol === 'https:' ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
}

/** A bare .avsc document (it has a `type`) or a schema with its references. */
export function asSubjectSchema(schema: AvroSchema | SubjectSchema): SubjectSchema {
  return 'type' in schema ? { schema: schema as AvroSchema } : (schema as SubjectSchema);
}

export function requestBody(schema: AvroSchema | SubjectSchema): {
  schema: string;
  schemaType: 'AVRO';
  references?: SchemaReference[];
} {
  const { schema: json, references } = asSubjectSchema(schema);
  return { schema: JSON.stringify(json), schemaType: 'AVRO', ...(references?.length ? { references } : {}) };
}

export function enc(subject: string): string {
  return encodeURIComponent(subject);
}

export function parse(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
