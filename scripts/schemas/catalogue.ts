// docs/events.md: the event catalogue for people — one section per event with its fields,
// topic, subject, producer, consumers and an example, all read from the contracts.
import { consumersOf, producerOf, topicOf } from '../../services/shared/src/topics';
import { GENERATED_NOTE } from './docs';
import type { EventContract } from './generate';

type Json = Record<string, unknown>;

interface Row {
  field: string;
  type: string;
  required: boolean;
  description: string;
}

/** One row per field; nested records and arrays of records are flattened as `items[].itemId`. */
function rows(schema: Json, prefix = ''): Row[] {
  const properties = (schema.properties ?? {}) as Record<string, Json>;
  const required = new Set((schema.required ?? []) as string[]);
  return Object.entries(properties).flatMap(([name, property]) => {
    const field = `${prefix}${name}`;
    const own: Row = {
      field,
      type: typeOf(property),
      required: required.has(name),
      description: String(property.description ?? ''),
    };
    const items = property.items as Json | undefined;
    if (items?.properties) return [own, ...rows(items, `${field}[].`)];
    if (property.properties) return [own, ...rows(property, `${field}.`)];
    return [own];
  });
}

function typeOf(property: Json): string {
  const types = (Array.isArray(property.type) ? property.type : [property.type]) as string[];
  const base = types.filter((t) => t !== 'null')[0] ?? 'any';
  let shown: string = base;
  if (Array.isArray(property.enum)) shown = `enum: ${(property.enum as string[]).join(', ')}`;
  else if (base === 'array') {
    const items = property.items as Json;
    shown = `array of ${items.properties ? 'records' : typeOf(items)}`;
  } else if (property.format) shown = `${base} (${String(property.format)})`;
  return types.includes('null') ? `${shown} or null` : shown;
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function section(contract: EventContract): string {
  const { event, json, subject, jsonFile } = contract;
  const consumers = consumersOf(event);
  const examples = Array.isArray(json.examples) ? (json.examples as unknown[]) : [];
  const lines = [
    `## ${event}`,
    '',
    String(json.description ?? ''),
    '',
    '| | |',
    '| --- | --- |',
    `| topic | \`${topicOf(event)}\` (key = orderId) |`,
    `| subject | \`${subject}\` |`,
    `| produced by | ${producerOf(event)} |`,
    `| consumed by | ${consumers.length ? consumers.join(', ') : '(no service)'} |`,
    `| contract | [${jsonFile}](../${jsonFile}), Avro mirror [avro/${event}.avsc](../avro/${event}.avsc) |`,
    '',
    '| field | type | required | description |',
    '| --- | --- | --- | --- |',
    ...rows(json).map(
      (r) => `| \`${r.field}\` | ${cell(r.type)} | ${r.required ? 'yes' : 'no'} | ${cell(r.description)} |`,
    ),
    '',
  ];
  if (examples.length > 0) {
    lines.push('Example:', '', '```json', JSON.stringify(examples[0], null, 2), '```', '');
  }
  return lines.join('\n');
}

export function catalogueFile(events: EventContract[]): string {
  const index = events.map(
    (e) =>
      `| [${e.event}](#${e.event.toLowerCase()}) | \`${topicOf(e.event)}\` | ${producerOf(e.event)} | ${consumersOf(e.event).join(', ')} |`,
  );
  return [
    '# orderflow event catalogue',
    '',
    `<!-- ${GENERATED_NOTE} -->`,
    '',
    'Every event is Avro in the Confluent wire format (magic byte 0, 4-byte schema id, Avro binary),',
    'keyed by orderId, with the headers `x-correlation-id`, `x-causation-id` and `x-origin-ts`.',
    'Date-times are `timestamp-millis` on the wire and ISO-8601 strings in the services; money is',
    'integer cents plus an ISO 4217 currency code. Topics and subjects are shown without a',
    '`TOPIC_PREFIX`. A message a consumer can never handle goes to `<group>.dlq`',
    '(e.g. `orderflow.billing.dlq`) with `x-dlq-reason`, `x-dlq-error`, `x-dlq-source-topic`,',
    '`x-dlq-source-partition`, `x-dlq-source-offset`, `x-dlq-consumer-group` and `x-dlq-failed-at`;',
    '`npm run dlq:replay -- <group>` puts it back on its source topic.',
    '',
    '| event | topic | produced by | consumed by |',
    '| --- | --- | --- | --- |',
    ...index,
    '',
    ...events.map(section),
  ].join('\n');
}
