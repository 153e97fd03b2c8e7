// docs/openapi.yaml against the running services: its paths are exactly the routes each
// service registers, and what the services answer matches the documented schemas.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';
import {
  createHttpApp,
  DEFAULT_PORTS,
  Router,
  SERVICE_NAMES,
  type ServiceDefinition,
  type ServiceName,
} from '@orderflow/shared';
import { billing } from '../../services/billing/src/service';
import { inventory } from '../../services/inventory/src/service';
import { notifications } from '../../services/notifications/src/service';
import { orders } from '../../services/orders/src/service';
import { shipping } from '../../services/shipping/src/service';
import { bearer, getJson, startPlatform, waitForStatus, type Platform } from '../support/platform';
import { waitFor } from '../support/wait';

type Json = Record<string, any>;
const doc = parse(readFileSync(join(__dirname, '..', '..', 'docs', 'openapi.yaml'), 'utf8')) as Json;
const ajv = new Ajv2020({ allErrors: true, strict: false });
addFormats(ajv);
ajv.addSchema(doc, 'openapi');

const definitions: Record<ServiceName, ServiceDefinition> = {
  orders,
  billing: billing(500_000),
  inventory,
  shipping,
  notifications: notifications({ MAIL_FROM: 'orderflow <orders@orderflow.invalid>' }),
};

let platform: Platform;

beforeAll(async () => {
  platform = await startPlatform({ env: { PAYMENT_LIMIT_CENTS: '500000' } });
});

afterAll(async () => {
  await platform?.stop();
});

/**
 * "GET /orders/{id}" for every route a service serves. The router is put together as
 * startService does it: the service's routes, then createHttpApp's health and metrics routes.
 */
function registeredRoutes(service: ServiceName): string[] {
  const running = platform.services[service]!;
  const router = new Router();
  definitions[service].routes?.(router, running.app);
  createHttpApp({
    logger: running.app.logger,
    metrics: running.app.metrics,
    readiness: async () => ({ ready: true, checks: {} }),
    router,
  });
  return router.stack
    .flatMap((layer) =>
      layer.methods
        .filter((m) => m !== 'HEAD')
        .map((m) => `${m} ${String(layer.path).replace(/:(\w+)/g, '{$1}')}`),
    )
    .sort();
}

/** The routes the document places on a service (paths whose servers include its default URL). */
function documentedRoutes(service: ServiceName): string[] {
  const url = `http://127.0.0.1:${DEFAULT_PORTS[service]}`;
  return Object.entries(doc.paths as Json)
    .filter(([, item]) => (item.servers as { url: string }[]).some((s) => s.url === url))
    .flatMap(([path, item]) =>
      ['get', 'post', 'put', 'patch', 'delete']
        .filter((m) => item[m])
        .map((m) => `${m.toUpperCase()} ${path}`),
    )
    .sort();
}

/** Calls a running service and checks the answer against the documented response for its status. */
async function expectDocumented(
  service: ServiceName,
  method: string,
  path: string,
  template: string,
  init: RequestInit = {},
  auth: Record<string, string> | Promise<Record<string, string>> = bearer('c-openapi'),
): Promise<{ status: number; body: Json; text: string }> {
  const headers = { ...(await auth), ...(init.headers as Record<string, string>) };
  const response = await fetch(`${platform.url(service)}${path}`, { method, ...init, headers });
  const text = await response.text();
  const status = String(response.status);
  const operation = doc.paths[template]?.[method.toLowerCase()];
  expect([method, template, 'documented']).toEqual([method, template, operation ? 'documented' : 'missing']);
  let answer = operation.responses[status] ?? operation.responses.default;
  expect([method, path, status, 'documented']).toEqual([
    method,
    path,
    status,
    answer ? 'documented' : 'missing',
  ]);
  if (answer.$ref) answer = doc.components.responses[String(answer.$ref).split('/').pop()!];
  const [type, content] = Object.entries(answer.content as Json)[0]!;
  expect(response.headers.get('content-type')).toContain(type);
  if (type !== 'application/json') return { status: response.status, body: {}, text };
  const body = JSON.parse(text);
  const validate = ajv.compile({ $ref: `openapi#${(content.schema.$ref as string).slice(1)}` });
  const problems = validate(body) ? [] : validate.errors!.map((e) => `${e.instancePath} ${e.message}`);
  expect([method, path, status, problems]).toEqual([method, path, status, []]);
  return { status: response.status, body, text };
}

test('the documented routes are exactly the routes each service registers, each on its own server', () => {
  for (const service of SERVICE_NAMES) {
    const routes = registeredRoutes(service);
    expect(routes).toEqual(
      expect.arrayContaining(['GET /health', 'GET /health/live', 'GET /health/ready', 'GET /metrics']),
    );
    expect([service, documentedRoutes(service)]).toEqual([service, routes]);
  }
});

test('the answers of every service about a shipped order match the documented schemas', async () => {
  const json = { headers: { 'content-type': 'application/json' } };
  const order = {
    orderId: randomUUID(),
    customerId: 'c-openapi',
    email: 'ada@example.com',
    items: [{ itemId: 'ceramic-mug', quantity: 2 }],
  };
  expect(
    (await expectDocumented('orders', 'POST', '/orders', '/orders', { ...json, body: JSON.stringify(order) }))
      .status,
  ).toBe(201);
  expect(
    (await expectDocumented('orders', 'POST', '/orders', '/orders', { ...json, body: JSON.stringify(order) }))
      .status,
  ).toBe(200);
  await waitForStatus(platform, order.orderId, 'SHIPPED');
  await waitFor(
    async () =>
      (await getJson(`${platform.url('notifications')}/notifications?orderId=${order.orderId}`)).body
        .notifications.length === 2,
    { what: 'both emails of the order' },
  );

  const id = order.orderId;
  expect((await expectDocumented('orders', 'GET', `/orders/${id}`, '/orders/{id}')).body.status).toBe(
    'SHIPPED',
  );
  expect(
    (await expectDocumented('orders', 'GET', `/orders/${id}/events`, '/orders/{id}/events')).body.events
      .length,
  ).toBeGreaterThanOrEqual(4);
  expect(
    (await expectDocumented('billing', 'GET', `/payments/${id}`, '/payments/{orderId}')).body.status,
  ).toBe('CAPTURED');
  expect(
    (await expectDocumented('inventory', 'GET', '/inventory', '/inventory')).body.items.length,
  ).toBeGreaterThan(0);
  expect((await expectDocumented('shipping', 'GET', `/shipments/${id}`, '/shipments/{orderId}')).status).toBe(
    200,
  );
  expect(
    (await expectDocumented('notifications', 'GET', `/notifications?orderId=${id}`, '/notifications')).body
      .notifications,
  ).toHaveLength(2);
  for (const service of SERVICE_NAMES) {
    await expectDocumented(service, 'GET', '/health/live', '/health/live');
    expect((await expectDocumented(service, 'GET', '/health/ready', '/health/ready')).status).toBe(200);
    expect((await expectDocumented(service, 'GET', '/health', '/health')).body).toEqual(
      (await expectDocumented(service, 'GET', '/health/ready', '/health/ready')).body,
    );
    expect((await expectDocumented(service, 'GET', '/metrics', '/metrics')).text).toContain('orderflow_');
  }
});

test('every documented error of POST /orders and of the lookups comes with the documented error body', async () => {
  const post = (body: string, contentType = 'application/json') =>
    expectDocumented('orders', 'POST', '/orders', '/orders', {
      headers: { 'content-type': contentType },
      body,
    });
  const order = {
    orderId: randomUUID(),
    customerId: 'c-openapi',
    items: [{ itemId: 'ceramic-mug', quantity: 1 }],
  };
  expect((await post(JSON.stringify({ customerId: '', items: [] }))).body.error.code).toBe(
    'VALIDATION_FAILED',
  );
  expect((await post('{"not json')).status).toBe(400);
  expect((await post(JSON.stringify(order), 'text/plain')).status).toBe(415);
  expect((await post(JSON.stringify({ ...order, customerId: 'x'.repeat(70_000) }))).status).toBe(413);
  expect(
    (await post(JSON.stringify({ ...order, items: [{ itemId: 'no-such-item', quantity: 1 }] }))).status,
  ).toBe(422);
  expect((await post(JSON.stringify(order))).status).toBe(201);
  expect((await post(JSON.stringify({ ...order, email: 'ada@example.com' }))).body.error.code).toBe(
    'CONFLICT',
  );
  expect((await post(JSON.stringify({ ...order, customerId: 'someone-else' }))).body.error.code).toBe(
    'FORBIDDEN',
  );
  const anonymous = await expectDocumented(
    'orders',
    'GET',
    `/orders/${order.orderId}`,
    '/orders/{id}',
    {},
    {},
  );
  expect(anonymous.body.error.code).toBe('UNAUTHORIZED');

  const unknown = randomUUID();
  expect((await expectDocumented('orders', 'GET', `/orders/${unknown}`, '/orders/{id}')).status).toBe(404);
  expect(
    (await expectDocumented('orders', 'GET', `/orders/${unknown}/events`, '/orders/{id}/events')).status,
  ).toBe(404);
  expect(
    (await expectDocumented('billing', 'GET', `/payments/${unknown}`, '/payments/{orderId}')).status,
  ).toBe(404);
  expect(
    (await expectDocumented('shipping', 'GET', `/shipments/${unknown}`, '/shipments/{orderId}')).status,
  ).toBe(404);
  expect(
    (await expectDocumented('notifications', 'GET', '/notifications?orderId=a&orderId=b', '/notifications'))
      .status,
  ).toBe(400);
});
