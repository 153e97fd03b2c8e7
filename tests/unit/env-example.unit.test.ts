// .env.example against the one config reader: it names exactly the variables the services and
// the commands read, every value it shows is the reader's default, and each has its meaning.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { IDP_SETTINGS } from '../support/config-fixtures';
import type { Env } from '@orderflow/shared';
import { readCommandConfig } from '../../scripts/config';
import { readConfig as billing } from '../../services/billing/src/service';
import { readConfig as inventory } from '../../services/inventory/src/service';
import { readConfig as notifications } from '../../services/notifications/src/service';
import { readConfig as orders } from '../../services/orders/src/service';
import { readConfig as shipping } from '../../services/shipping/src/service';

const READERS: Record<string, (source: Env) => unknown> = {
  orders,
  billing,
  inventory,
  shipping,
  notifications,
  commands: readCommandConfig,
};

const lines = readFileSync(join(__dirname, '..', '..', '.env.example'), 'utf8').split('\n');
const VARIABLE = /^(# )?([A-Z][A-Z0-9_]*)=(.*)$/;

interface Entry {
  name: string;
  /** The value of an active line (the default shown); undefined for a commented example. */
  value?: string;
  line: number;
}

const entries: Entry[] = lines.flatMap((text, line) => {
  const match = VARIABLE.exec(text);
  if (!match) return [];
  const [, commented, name, raw] = match;
  const value = raw!.replace(/^"(.*)"$/, '$1');
  return [{ name: name!, value: commented ? undefined : value, line }];
});

/** Every name a reader looks up, found by handing it an environment that records each read. */
function namesRead(read: (source: Env) => unknown): Set<string> {
  const names = new Set<string>();
  const recording = new Proxy({} as Env, {
    get: (_target, key) => {
      if (typeof key === 'string') names.add(key.replace(/_FILE$/, ''));
      return undefined;
    },
  });
  try {
    read(recording);
  } catch {
    // a service refuses an empty environment (no identity provider) after reading every name
  }
  return names;
}

test('.env.example names exactly the variables the config reader knows, each once', () => {
  const known = new Set(Object.values(READERS).flatMap((read) => [...namesRead(read)]));
  const listed = entries.map((e) => e.name);
  expect(listed.filter((name, i) => listed.indexOf(name) !== i)).toEqual([]);
  expect([...new Set(listed)].sort()).toEqual([...known].sort());
});

test('every value .env.example shows is the default: each reader reads it exactly as it reads nothing', () => {
  const shown: Record<string, string> = Object.fromEntries(
    entries.filter((e) => e.value !== undefined).map((e) => [e.name, e.value!]),
  );
  const idp = IDP_SETTINGS;
  for (const [reader, read] of Object.entries(READERS)) {
    expect([reader, read({ ...shown, ...idp })]).toEqual([reader, read(idp)]);
  }
});

test('every variable of .env.example comes under a comment saying what it means', () => {
  const unexplained = entries.filter(({ line }) => {
    let above = line - 1;
    while (above >= 0 && VARIABLE.test(lines[above]!)) above--;
    return !lines[above]?.startsWith('# ');
  });
  expect(unexplained.map((e) => e.name)).toEqual([]);
});

test('.env.example names the registry URL to use against docker compose', () => {
  const compose = readFileSync(join(__dirname, '..', '..', 'docker-compose.yml'), 'utf8');
  expect(compose).toMatch(/- '8081:8081'/);
  expect(lines.join('\n')).toContain('SCHEMA_REGISTRY_URL=http://localhost:8081');
});
