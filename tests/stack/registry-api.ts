// Raw Confluent REST calls for the registry tests: no client library, so the tests pin the
// wire behaviour itself.
import { randomBytes } from 'node:crypto';

export const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';

export interface Answer<T> {
  status: number;
  body: T;
}

/** The Confluent error body: `{ error_code, message }`. */
export interface RegistryError {
  error_code: number;
  message: string;
}

export function registryClient(baseUrl: string) {
  const base = baseUrl.replace(/\/+$/, '');
  return async function call<T = unknown>(
    method: string,
    path: string,
    payload?: unknown,
  ): Promise<Answer<T>> {
    const response = await fetch(`${base}${path}`, {
      method,
      headers:
        payload === undefined
          ? { accept: CONTENT_TYPE }
          : { accept: CONTENT_TYPE, 'content-type': CONTENT_TYPE },
      body: payload === undefined ? undefined : JSON.stringify(payload),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
  };
}

/** A fresh namespace and subject prefix per run, so runs never see each other's schemas. */
export function runScope(): { prefix: string; record: (name: string, fields: object[]) => object } {
  const run = randomBytes(4).toString('hex');
  const namespace = `orderflow.test.r${run}`;
  return {
    prefix: `test-${run}-`,
    record: (name, fields) => ({ type: 'record', name, namespace, fields }),
  };
}

/** The request body of register / lookup / compatibility calls. */
export const schemaBody = (schema: object, text = JSON.stringify(schema)) => ({ schema: text });

/** Deletes, soft then permanently, every subject under `prefix`. */
export async function deleteSubjects(call: ReturnType<typeof registryClient>, prefix: string): Promise<void> {
  const { body } = await call<string[]>('GET', '/subjects');
  for (const subject of (body ?? []).filter((s) => s.startsWith(prefix))) {
    await call('DELETE', `/subjects/${encodeURIComponent(subject)}`);
    await call('DELETE', `/subjects/${encodeURIComponent(subject)}?permanent=true`);
  }
}
