// docs/asyncapi.yaml is a valid AsyncAPI 3.0 document that says what the code does: the
// topic table's channels, every event's Avro schema, who sends and who receives what.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Parser, type AsyncAPIDocumentInterface } from '@asyncapi/parser';
import { parse } from 'yaml';
import { EVENT_NAMES, SERVICES, SERVICE_NAMES, loadAvroSchema, producerOf, topicOf } from '@orderflow/shared';
import { AVRO_SCHEMA_FORMAT } from '../../scripts/schemas/asyncapi';

const text = readFileSync(join(__dirname, '..', '..', 'docs', 'asyncapi.yaml'), 'utf8');
let document: AsyncAPIDocumentInterface;

beforeAll(async () => {
  const { document: parsed, diagnostics } = await new Parser().parse(text);
  // Severity 0 is an error; hints such as "a newer AsyncAPI version exists" are not.
  expect(diagnostics.filter((d) => d.severity === 0).map((d) => `${d.path.join('/')}: ${d.message}`)).toEqual(
    [],
  );
  document = parsed!;
});

/** "<service> <action> <Event>" for every operation and message. */
function flows(action: 'send' | 'receive'): string[] {
  return document
    .operations()
    .all()
    .filter((op) => op.action() === action)
    .flatMap((op) => {
      const service = String(op.extensions().get('x-service')?.value());
      return op
        .messages()
        .all()
        .map((m) => `${service} ${m.name()}`);
    })
    .sort();
}

test('@asyncapi/parser reads docs/asyncapi.yaml as AsyncAPI 3.0 with no errors', () => {
  expect(document.version()).toBe('3.0.0');
});

test('every topic of the topic table is a channel carrying exactly its events', () => {
  const channels = document.channels().all();
  expect(channels.map((c) => c.address()).sort()).toEqual(SERVICE_NAMES.map((s) => SERVICES[s].topic).sort());
  for (const { topic, produces: events } of SERVICE_NAMES.map((s) => SERVICES[s])) {
    const channel = channels.find((c) => c.address() === topic)!;
    expect([
      topic,
      channel
        .messages()
        .all()
        .map((m) => m.name()),
    ]).toEqual([topic, [...events]]);
  }
});

test("every event is a message whose payload is its Avro schema, in Avro's schema format", () => {
  // As written: the parser annotates the schemas it reads.
  const messages = (parse(text) as { components: { messages: Record<string, { payload: unknown }> } })
    .components.messages;
  expect(Object.keys(messages)).toEqual([...EVENT_NAMES]);
  for (const event of EVENT_NAMES) {
    expect(document.components().messages().get(event)?.name()).toBe(event);
    expect(messages[event]!.payload).toEqual({
      schemaFormat: AVRO_SCHEMA_FORMAT,
      schema: loadAvroSchema(event),
    });
  }
});

test('send operations are exactly who produces each event, receive operations exactly what the services table consumes', () => {
  expect(flows('send')).toEqual(EVENT_NAMES.map((event) => `${producerOf(event)} ${event}`).sort());
  expect(flows('receive')).toEqual(
    SERVICE_NAMES.flatMap((service) =>
      SERVICES[service].consumes.map((event) => `${service} ${event}`),
    ).sort(),
  );
  for (const op of document.operations().all()) {
    const channel = op.channels().all()[0]!;
    for (const message of op.messages().all())
      expect(channel.address()).toBe(topicOf(message.name() as never));
  }
});
