// docs/ is generated from the contracts by `npm run schemas:generate`, and `-- --check` fails
// when a document no longer matches them; docs/events.md is the catalogue people read.
import { appendFileSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { EVENT_NAMES, consumersOf, producerOf, subjectOf, topicOf } from '@orderflow/shared';
import { copyContracts, editJson, schemasCli } from '../contracts/cli';

test('schemas:generate --check fails naming every stale or missing document, and generate rewrites them', () => {
  const root = copyContracts();
  editJson(join(root, 'schemas', 'PaymentDeclined.json'), (json) => {
    json.description = 'Billing refused to charge for an order (reworded).';
  });
  appendFileSync(join(root, 'docs', 'openapi.yaml'), '# a hand edit\n');
  rmSync(join(root, 'docs', 'events.md'));

  const stale = schemasCli(['generate', '--check', '--root', root]);
  expect(stale.status).toBe(1);
  expect(stale.output).toContain('docs/asyncapi.yaml');
  expect(stale.output).toContain('docs/openapi.yaml');
  expect(stale.output).toContain('docs/events.md (missing)');

  expect(schemasCli(['generate', '--root', root]).status).toBe(0);
  expect(schemasCli(['generate', '--check', '--root', root]).status).toBe(0);
  expect(readFileSync(join(root, 'docs', 'events.md'), 'utf8')).toContain(
    'Billing refused to charge for an order (reworded).',
  );
});

test('the event catalogue has a section per event with its topic, subject, producer, consumers, fields and an example', () => {
  const catalogue = readFileSync(join(__dirname, '..', '..', 'docs', 'events.md'), 'utf8');
  const sections = catalogue.split(/^## /m).slice(1);
  expect(sections.map((s) => s.slice(0, s.indexOf('\n')))).toEqual([...EVENT_NAMES]);
  for (const [i, event] of EVENT_NAMES.entries()) {
    const section = sections[i]!;
    const schema = JSON.parse(
      readFileSync(join(__dirname, '..', '..', 'schemas', `${event}.json`), 'utf8'),
    ) as {
      description: string;
      properties: Record<string, unknown>;
      examples: unknown[];
    };
    expect(section).toContain(schema.description);
    expect(section).toContain(`| topic | \`${topicOf(event)}\``);
    expect(section).toContain(`| subject | \`${subjectOf(event)}\` |`);
    expect(section).toContain(`| produced by | ${producerOf(event)} |`);
    expect(section).toContain(`| consumed by | ${consumersOf(event).join(', ')} |`);
    for (const field of Object.keys(schema.properties))
      expect(section).toMatch(new RegExp(`^\\| \`${field}\` \\|`, 'm'));
    const example = /```json\n([\s\S]*?)```/.exec(section)?.[1];
    expect(JSON.parse(example!)).toEqual(schema.examples[0]);
  }
});
