// docs/asyncapi.yaml (AsyncAPI 3.0): one channel per topic of the services table, every event
// as a message whose payload is its Avro schema, the producing service's send operation and
// a receive operation per consuming service (from the table's `consumes`).
import { DEFAULTS } from '../../services/shared/src/defaults';
import {
  EVENT_NAMESPACE,
  SERVICES,
  SERVICE_NAMES,
  TOPIC_DEFAULTS,
  consumersOf,
  dlqTopicOf,
  groupOf,
  producerOf,
  topicOf,
  type EventName,
} from '../../services/shared/src/topics';
import { generatedYaml, packageVersion } from './docs';
import type { EventContract } from './generate';

export const AVRO_SCHEMA_FORMAT = 'application/vnd.apache.avro+json;version=1.9.0';
const KAFKA_BINDING = '0.5.0';

/** `orders.events` → `ordersEvents`. */
export function channelIdOf(topic: string): string {
  return topic.replace(/[.-](\w)/g, (_, c: string) => c.toUpperCase());
}

const pascal = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

export function asyncApiDocument(events: EventContract[]): Record<string, unknown> {
  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  const messageRef = (event: EventName) => ({
    $ref: `#/channels/${channelIdOf(topicOf(event))}/messages/${event}`,
  });

  for (const producer of SERVICE_NAMES) {
    const { topic, produces: carried } = SERVICES[producer];
    const id = channelIdOf(topic);
    channels[id] = {
      address: topic,
      title: topic,
      description: `Every event ${producer} publishes. Key = orderId, so the events of one order keep their order within a partition. Under TOPIC_PREFIX the address is <prefix>${topic}. Replicas come from the deployment: KAFKA_REPLICATION_FACTOR (default the smaller of 3 and the cluster's brokers) and KAFKA_MIN_INSYNC_REPLICAS (default one fewer, at least 1).`,
      messages: Object.fromEntries(
        carried.map((event) => [event, { $ref: `#/components/messages/${event}` }]),
      ),
      bindings: {
        kafka: {
          partitions: TOPIC_DEFAULTS.partitions,
          topicConfiguration: { 'retention.ms': TOPIC_DEFAULTS.retentionMs },
          bindingVersion: KAFKA_BINDING,
        },
      },
    };
    operations[`${producer}Sends${pascal(id)}`] = {
      action: 'send',
      channel: { $ref: `#/channels/${id}` },
      title: `${producer} publishes to ${topic}`,
      summary: `Written to the outbox in the transaction that decides it, relayed by an idempotent producer with acks=all.`,
      messages: carried.map(messageRef),
      bindings: { kafka: { clientId: constant(`orderflow-${producer}`), bindingVersion: KAFKA_BINDING } },
      'x-service': producer,
    };
  }

  for (const service of SERVICE_NAMES) {
    for (const producer of SERVICE_NAMES) {
      const { topic } = SERVICES[producer];
      const handled = SERVICES[service].consumes.filter((event) => topicOf(event) === topic);
      if (handled.length === 0) continue;
      const id = channelIdOf(topic);
      operations[`${service}Receives${pascal(id)}`] = {
        action: 'receive',
        channel: { $ref: `#/channels/${id}` },
        title: `${service} consumes ${handled.join(', ')} from ${producer}`,
        summary: `Handled once per eventId (inbox in the same transaction as the effect); offsets committed after it; what can never be handled goes to ${dlqTopicOf(groupOf(service))}.`,
        messages: handled.map(messageRef),
        bindings: { kafka: { groupId: constant(groupOf(service)), bindingVersion: KAFKA_BINDING } },
        'x-service': service,
      };
    }
  }

  return {
    asyncapi: '3.0.0',
    info: {
      title: 'orderflow events',
      version: packageVersion(),
      description:
        'The events of the orderflow order saga. Every message value is Avro in the Confluent wire format (magic byte 0, 4-byte big-endian schema id, Avro binary); subjects follow the TopicRecordNameStrategy, `<topic>-' +
        `${EVENT_NAMESPACE}.<Event>\`. Generated from schemas/*.json and services/shared/src/services.ts (SERVICES) by \`npm run schemas:generate\`.`,
    },
    defaultContentType: 'avro/binary',
    servers: {
      local: {
        host: DEFAULTS.KAFKA_BROKERS,
        protocol: 'kafka',
        description:
          'The local stack (`npm run stack:up`); Apicurio Registry serves the Confluent-compatible API.',
        bindings: {
          kafka: {
            schemaRegistryUrl: DEFAULTS.SCHEMA_REGISTRY_URL,
            schemaRegistryVendor: 'apicurio',
            bindingVersion: KAFKA_BINDING,
          },
        },
      },
      compose: {
        host: 'kafka:29092',
        protocol: 'kafka',
        description: '`docker compose up`, from inside the compose network.',
        bindings: {
          kafka: {
            schemaRegistryUrl: 'http://schema-registry:8081',
            schemaRegistryVendor: 'confluent',
            bindingVersion: KAFKA_BINDING,
          },
        },
      },
    },
    channels,
    operations,
    components: { messages: Object.fromEntries(events.map((e) => [e.event, message(e)])) },
  };
}

function message(contract: EventContract): Record<string, unknown> {
  const { event, json, avro, subject, jsonFile } = contract;
  const examples = Array.isArray(json.examples) ? (json.examples as unknown[]) : [];
  return {
    name: event,
    title: event,
    summary: json.description,
    contentType: 'avro/binary',
    headers: {
      type: 'object',
      properties: {
        'x-correlation-id': {
          type: 'string',
          description:
            'Set by orders at intake (or taken from the request) and copied to every event the order causes.',
        },
        'x-causation-id': {
          type: 'string',
          description: 'The eventId of the event whose handling published this one.',
        },
        'x-origin-ts': {
          type: 'string',
          description: 'Epoch milliseconds of the intake that started the saga.',
        },
      },
    },
    correlationId: {
      description: 'One id follows an order through every service.',
      location: '$message.header#/x-correlation-id',
    },
    payload: { schemaFormat: AVRO_SCHEMA_FORMAT, schema: avro },
    bindings: {
      kafka: {
        key: { type: 'string', description: 'The orderId.' },
        schemaIdLocation: 'payload',
        schemaIdPayloadEncoding: 'confluent',
        schemaLookupStrategy: 'TopicRecordNameStrategy',
        bindingVersion: KAFKA_BINDING,
      },
    },
    examples: examples.map((payload, i) => ({
      name: `${event}${i + 1}`,
      summary: 'As the services see it (date-times as ISO-8601 strings; timestamp-millis on the wire).',
      payload,
    })),
    'x-subject': subject,
    'x-json-schema': jsonFile,
    'x-producer': producerOf(event),
    'x-consumers': consumersOf(event),
  };
}

function constant(value: string): Record<string, unknown> {
  return { type: 'string', enum: [value] };
}

export function asyncApiFile(events: EventContract[]): string {
  return generatedYaml(asyncApiDocument(events));
}
