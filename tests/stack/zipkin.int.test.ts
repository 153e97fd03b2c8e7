// `stack:up -- --tracing`: the stack starts Zipkin (fetched once from Maven Central), lists it in
// stack:status, and hands its address to the services that `npm start` / `npm run up` spawn.
import { readSettings } from '../../scripts/stack/settings';
import { stackStatus, stackUp } from '../../scripts/stack/stack';
import { zipkinExportEnv, zipkinReady } from '../../scripts/stack/zipkin';
import { readConfig } from '../../services/billing/src/service';
import { IDP_SETTINGS } from '../support/config-fixtures';

const lines: string[] = [];

beforeAll(async () => {
  // Starts Zipkin when the stack has none yet; a no-op for what already runs.
  await stackUp({ tracing: true, log: (line) => lines.push(line) });
});

test('stack:up --tracing leaves Zipkin answering /health and its v2 API on 127.0.0.1:9411', async () => {
  const url = lines
    .find((l) => l.trim().startsWith('zipkin'))
    ?.trim()
    .split(/\s+/)[1];
  expect(url).toBe('http://127.0.0.1:9411');
  expect(await zipkinReady(url!)).toBe(true);
  const services = await fetch(`${url}/api/v2/services`);
  expect(services.status).toBe(200);
  expect(Array.isArray(await services.json())).toBe(true);
});

test('stack:status lists Zipkin, running, with its pid', async () => {
  const zipkin = (await stackStatus()).find((c) => c.name === 'zipkin');
  expect(zipkin).toMatchObject({ running: true, url: 'http://127.0.0.1:9411', managed: true });
  expect(zipkin!.pid).toEqual(expect.any(Number));
});

test('services started by npm start / npm run up export to it with nothing set, unless an exporter is chosen', () => {
  const env = { ORDERFLOW_STACK_DIR: readSettings().stackDir };
  const added = zipkinExportEnv(env);
  expect(readConfig({ ...IDP_SETTINGS, ...env, ...added }).tracing).toMatchObject({
    exporter: 'zipkin',
    endpoint: 'http://127.0.0.1:9411/api/v2/spans',
    serviceName: 'billing',
  });
  expect(zipkinExportEnv({ ...env, OTEL_TRACES_EXPORTER: 'none' })).toEqual({});
});
