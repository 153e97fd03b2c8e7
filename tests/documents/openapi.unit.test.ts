// docs/openapi.yaml is a valid OpenAPI 3.1 document whose request body is the contract file
// itself and whose errors all have the one error shape.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

const ROOT = join(__dirname, '..', '..');
const FILE = join(ROOT, 'docs', 'openapi.yaml');
type Json = Record<string, any>;
const doc = parse(readFileSync(FILE, 'utf8')) as Json;

/** Follows a local `$ref` (one level is all the document uses). */
function deref(node: Json): Json {
  if (typeof node.$ref !== 'string') return node;
  return (node.$ref as string)
    .slice(2)
    .split('/')
    .reduce((at: Json, key) => at[key] as Json, doc);
}

test('docs/openapi.yaml validates against the OpenAPI 3.1 schema', () => {
  // The validator is an ES module; its CLI keeps jest's CommonJS world out of it.
  const cli = join(
    ROOT,
    'node_modules',
    '@seriousme',
    'openapi-schema-validator',
    'bin',
    'validate-api-cli.js',
  );
  const result = spawnSync(process.execPath, [cli, FILE], { encoding: 'utf8' });
  expect(JSON.parse(result.stdout)).toEqual({ valid: true });
  expect(doc.openapi).toBe('3.1.0');
});

test('POST /orders takes exactly schemas/requests/CreateOrderRequest.json as its JSON body', () => {
  const body = doc.paths['/orders'].post.requestBody;
  expect(body.required).toBe(true);
  const schema = deref(body.content['application/json'].schema);
  expect(schema).toEqual(
    JSON.parse(readFileSync(join(ROOT, 'schemas', 'requests', 'CreateOrderRequest.json'), 'utf8')),
  );
});

test('POST /orders documents 400, 409, 413, 415, 422 and 503, each with the {error: {code, message, details?}} body', () => {
  const responses = doc.paths['/orders'].post.responses as Json;
  const errorSchema = doc.components.schemas.Error;
  expect(errorSchema.properties.error.required).toEqual(['code', 'message']);
  expect(Object.keys(errorSchema.properties.error.properties)).toEqual(['code', 'message', 'details']);
  for (const status of ['400', '409', '413', '415', '422', '503']) {
    expect([status, deref(responses[status]).content['application/json'].schema]).toEqual([
      status,
      { $ref: '#/components/schemas/Error' },
    ]);
  }
  for (const path of ['/orders/{id}', '/orders/{id}/events', '/payments/{orderId}', '/shipments/{orderId}']) {
    expect([path, deref(doc.paths[path].get.responses['404']).content['application/json'].schema]).toEqual([
      path,
      { $ref: '#/components/schemas/Error' },
    ]);
  }
});
