// docs/openapi.yaml (OpenAPI 3.1): the HTTP endpoints of the five services. The request body
// is schemas/requests/CreateOrderRequest.json as it is; the response shapes are written here
// from what services/*/src/service.ts answer, and tests/docs/openapi.e2e.test.ts holds both the
// route list and those shapes to what the running services do.
import { DEFAULT_PORTS } from '../../services/shared/src/defaults';
import { SERVICE_NAMES, type ServiceName } from '../../services/shared/src/topics';
import { ORDER_STATUSES } from '../../services/orders/src/decide';
import { generatedYaml, packageVersion } from './docs';
import type { RequestContract } from './generate';
import { CliError } from './repo';

export function serverUrlOf(service: ServiceName): string {
  return `http://127.0.0.1:${DEFAULT_PORTS[service]}`;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: unknown) => ({ 'application/json': { schema } });
const text = { type: 'string' };
const dateTime = { type: 'string', format: 'date-time' };
const cents = { type: 'integer', minimum: 0 };
const nullable = (schema: Record<string, unknown>) => ({ ...schema, type: [schema.type, 'null'] });

/** An object whose every listed property is required and nothing else is allowed. */
function record(description: string, properties: Record<string, unknown>): Record<string, unknown> {
  return {
    type: 'object',
    description,
    properties,
    required: Object.keys(properties),
    additionalProperties: false,
  };
}

const orderProperties = {
  orderId: text,
  status: { type: 'string', enum: [...ORDER_STATUSES] },
  customerId: text,
  email: nullable(text),
  items: {
    type: 'array',
    items: record('One order line, priced from the catalog.', {
      itemId: text,
      quantity: { type: 'integer', minimum: 1 },
      unitPriceCents: cents,
    }),
  },
  totalCents: cents,
  currency: text,
  createdAt: dateTime,
  updatedAt: dateTime,
};

function schemas(createOrder: Record<string, unknown>): Record<string, unknown> {
  return {
    CreateOrderRequest: createOrder,
    Error: {
      type: 'object',
      description:
        'Every error answer. code: VALIDATION_FAILED (400, details = failing JSON pointers), BAD_REQUEST, NOT_FOUND, CONFLICT, PAYLOAD_TOO_LARGE, UNSUPPORTED_MEDIA_TYPE, UNPROCESSABLE (details = the items that cannot be priced), UNAVAILABLE (a dependency is down; retry), INTERNAL (message never shown).',
      properties: {
        error: {
          type: 'object',
          properties: {
            code: text,
            message: text,
            details: { description: 'What exactly failed, when known.' },
          },
          required: ['code', 'message'],
          additionalProperties: false,
        },
      },
      required: ['error'],
      additionalProperties: false,
    },
    Order: record('An order and its status (projected from every event of the saga).', orderProperties),
    OrderWithTimeline: record('An order with the events that moved it, in the order they happened.', {
      ...orderProperties,
      timeline: {
        type: 'array',
        items: record('One event of the order.', { type: text, eventId: text, occurredAt: dateTime }),
      },
    }),
    OrderEvents: record("The order's event history, payloads included.", {
      orderId: text,
      events: {
        type: 'array',
        items: record('One recorded event.', {
          seq: { type: 'integer' },
          type: text,
          eventId: text,
          occurredAt: dateTime,
          traceparent: nullable({
            ...text,
            description:
              'The W3C trace context the event was published with (its trace holds the whole order); null when tracing was off.',
          }),
          payload: { type: 'object', description: 'The event as its JSON Schema describes it.' },
        }),
      },
    }),
    Payment: record("billing's record of an order's payment.", {
      orderId: text,
      paymentId: text,
      status: { type: 'string', enum: ['CAPTURED', 'DECLINED', 'REFUNDED'] },
      amountCents: cents,
      currency: text,
      declineReason: nullable(text),
      createdAt: dateTime,
      refundedAt: nullable(dateTime),
    }),
    Inventory: record('The catalog with its stock.', {
      items: {
        type: 'array',
        items: record('One catalog item.', {
          itemId: text,
          name: text,
          priceCents: cents,
          currency: text,
          available: { type: 'integer', minimum: 0 },
          reserved: { type: 'integer', minimum: 0 },
        }),
      },
    }),
    Shipment: record("shipping's shipment of an order.", {
      orderId: text,
      shipmentId: text,
      carrier: text,
      scheduledFor: dateTime,
      items: {
        type: 'array',
        items: record('One shipped line.', { itemId: text, quantity: { type: 'integer', minimum: 1 } }),
      },
      createdAt: dateTime,
    }),
    Notifications: record('The latest 100 notifications, newest first.', {
      notifications: {
        type: 'array',
        items: record('One email sent to a customer.', {
          notificationId: text,
          orderId: text,
          kind: text,
          to: text,
          subject: text,
          sentAt: dateTime,
        }),
      },
    }),
    Liveness: record('The process is up.', { status: { type: 'string', enum: ['live'] } }),
    Readiness: record('Whether the service can work: each dependency is "ok" or says what is wrong.', {
      status: { type: 'string', enum: ['ready', 'not ready'] },
      checks: { type: 'object', additionalProperties: text },
    }),
  };
}

const errorResponse = (description: string) => ({ description, content: json(ref('Error')) });
const responses = {
  BadRequest: errorResponse('The body or a parameter is invalid; details lists what failed.'),
  Unauthorized: {
    ...errorResponse(
      'No bearer token, or one that does not verify (expired, wrong issuer, audience or key).',
    ),
    headers: { 'WWW-Authenticate': { description: 'The Bearer challenge (RFC 6750).', schema: text } },
  },
  Forbidden: errorResponse("The body's customerId is not the token's subject."),
  NotFound: errorResponse("No such resource, or another customer's (the two read the same)."),
  Conflict: errorResponse('The orderId was already used with a different body.'),
  PayloadTooLarge: errorResponse('The body exceeds 64 kB.'),
  UnsupportedMediaType: errorResponse('The body is not application/json.'),
  Unprocessable: errorResponse(
    'Well-formed, but names items the catalog does not have (or lists one twice).',
  ),
  Unavailable: errorResponse(
    'The database (or another dependency) is down; nothing was accepted. Retry later.',
  ),
  Internal: errorResponse('An unexpected failure; the message is not shown.'),
};
const use = (name: keyof typeof responses) => ({ $ref: `#/components/responses/${name}` });

function get(
  service: ServiceName,
  operationId: string,
  summary: string,
  schema: string,
  options: { notFound?: boolean; badRequest?: boolean; open?: boolean } = {},
) {
  return {
    get: {
      operationId,
      tags: [service],
      summary,
      ...(options.open ? { security: [] } : {}),
      responses: {
        200: { description: 'OK', content: json(ref(schema)) },
        ...(options.badRequest ? { 400: use('BadRequest') } : {}),
        ...(options.open ? {} : { 401: use('Unauthorized') }),
        ...(options.notFound ? { 404: use('NotFound') } : {}),
        503: use('Unavailable'),
        default: use('Internal'),
      },
    },
  };
}

const pathParameter = (name: string, description: string) => ({
  name,
  in: 'path',
  required: true,
  description,
  schema: text,
});

function paths(): Record<string, unknown> {
  const on = (service: ServiceName) => ({ servers: [{ url: serverUrlOf(service), description: service }] });
  const orderId = pathParameter('id', 'The orderId.');
  const correlation = {
    name: 'X-Correlation-Id',
    in: 'header',
    description: 'Follows the order through every event; generated when absent or malformed.',
    schema: { type: 'string', pattern: '^[A-Za-z0-9_.:-]{1,128}$' },
  };
  const created = (description: string) => ({
    description,
    headers: {
      Location: { description: '/orders/{orderId}', schema: text },
      'X-Correlation-Id': { description: 'The correlation id the order travels with.', schema: text },
    },
    content: json(ref('Order')),
  });
  return {
    '/orders': {
      ...on('orders'),
      post: {
        operationId: 'createOrder',
        tags: ['orders'],
        summary: 'Place an order (prices come from the catalog). Durable once answered 201.',
        parameters: [correlation],
        requestBody: { required: true, content: json(ref('CreateOrderRequest')) },
        responses: {
          201: created('Accepted: the order and its OrderCreated are stored in one transaction.'),
          200: created('The same orderId with the same body was already accepted: the same order again.'),
          400: use('BadRequest'),
          401: use('Unauthorized'),
          403: use('Forbidden'),
          409: use('Conflict'),
          413: use('PayloadTooLarge'),
          415: use('UnsupportedMediaType'),
          422: use('Unprocessable'),
          503: use('Unavailable'),
          default: use('Internal'),
        },
      },
    },
    '/orders/{id}': {
      ...on('orders'),
      parameters: [orderId],
      ...get('orders', 'getOrder', 'An order, its status and its timeline.', 'OrderWithTimeline', {
        notFound: true,
      }),
    },
    '/orders/{id}/events': {
      ...on('orders'),
      parameters: [orderId],
      ...get('orders', 'getOrderEvents', "An order's event history.", 'OrderEvents', { notFound: true }),
    },
    '/payments/{orderId}': {
      ...on('billing'),
      parameters: [pathParameter('orderId', 'The orderId.')],
      ...get('billing', 'getPayment', "An order's payment.", 'Payment', { notFound: true }),
    },
    '/inventory': {
      ...on('inventory'),
      ...get(
        'inventory',
        'listInventory',
        'The catalog: prices, available and reserved stock (no token needed).',
        'Inventory',
        {
          open: true,
        },
      ),
    },
    '/shipments/{orderId}': {
      ...on('shipping'),
      parameters: [pathParameter('orderId', 'The orderId.')],
      ...get('shipping', 'getShipment', "An order's shipment.", 'Shipment', { notFound: true }),
    },
    '/notifications': {
      ...on('notifications'),
      parameters: [
        {
          name: 'orderId',
          in: 'query',
          required: false,
          description: 'Only this order’s (given once).',
          schema: text,
        },
      ],
      ...get(
        'notifications',
        'listNotifications',
        'Emails sent, newest first (at most 100).',
        'Notifications',
        {
          badRequest: true,
        },
      ),
    },
    '/health/live': {
      servers: SERVICE_NAMES.map((s) => ({ url: serverUrlOf(s), description: s })),
      get: {
        operationId: 'live',
        security: [],
        tags: ['operations'],
        summary: 'Liveness (every service).',
        responses: { 200: { description: 'Live.', content: json(ref('Liveness')) } },
      },
    },
    '/health/ready': {
      servers: SERVICE_NAMES.map((s) => ({ url: serverUrlOf(s), description: s })),
      get: {
        operationId: 'ready',
        security: [],
        tags: ['operations'],
        summary:
          'Readiness: Kafka (the consumer joined its group), the registry and the database (every service).',
        responses: {
          200: { description: 'Ready.', content: json(ref('Readiness')) },
          503: { description: 'Not ready; checks says which dependency.', content: json(ref('Readiness')) },
        },
      },
    },
    '/health': {
      servers: SERVICE_NAMES.map((s) => ({ url: serverUrlOf(s), description: s })),
      get: {
        operationId: 'health',
        security: [],
        tags: ['operations'],
        summary:
          'The same answer as /health/ready, for load balancers and probes that ask for /health (every service).',
        responses: {
          200: { description: 'Ready.', content: json(ref('Readiness')) },
          503: { description: 'Not ready; checks says which dependency.', content: json(ref('Readiness')) },
        },
      },
    },
    '/metrics': {
      servers: SERVICE_NAMES.map((s) => ({ url: serverUrlOf(s), description: s })),
      get: {
        operationId: 'metrics',
        security: [],
        tags: ['operations'],
        summary: 'Prometheus metrics (every service).',
        responses: {
          200: { description: 'Prometheus text format.', content: { 'text/plain': { schema: text } } },
        },
      },
    },
  };
}

export function openApiDocument(requests: RequestContract[]): Record<string, unknown> {
  const createOrder = requests.find((r) => r.name === 'CreateOrderRequest');
  if (!createOrder)
    throw new CliError('schemas/requests/CreateOrderRequest.json is missing; docs/openapi.yaml needs it');
  return {
    openapi: '3.1.0',
    info: {
      title: 'orderflow HTTP API',
      version: packageVersion(),
      description:
        'The HTTP endpoints of the five orderflow services (each path names the service that serves it). Generated by `npm run schemas:generate`; the request body schema is schemas/requests/CreateOrderRequest.json.',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    servers: SERVICE_NAMES.map((s) => ({ url: serverUrlOf(s), description: s })),
    tags: [...SERVICE_NAMES, 'operations'].map((name) => ({ name })),
    // Every route but the open ones needs a bearer JWT (docs/security.md: who may do what).
    security: [{ bearer: [] }],
    paths: paths(),
    components: {
      schemas: schemas(createOrder.json),
      responses,
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            "A JWT from the identity provider (AUTH_JWKS_URL): sub is the customer; scope orderflow:operator reads every customer's data.",
        },
      },
    },
  };
}

export function openApiFile(requests: RequestContract[]): string {
  return generatedYaml(openApiDocument(requests));
}
