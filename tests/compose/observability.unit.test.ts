// ops/: Prometheus scrapes the five services, and every query of the provisioned Grafana
// dashboard names a metric that services/shared/src/metrics.ts defines.
import { readFileSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import { SERVICES, SERVICE_NAMES } from '@orderflow/shared';

const ROOT = resolve(__dirname, '..', '..');
const read = (path: string) => readFileSync(resolve(ROOT, path), 'utf8');

interface Target {
  expr?: string;
  datasource?: { uid?: string };
}
interface Panel {
  title: string;
  datasource?: { uid?: string };
  targets?: Target[];
  panels?: Panel[];
}
interface Dashboard {
  uid: string;
  panels: Panel[];
  templating?: {
    list: { name: string; query?: string | { query?: string }; datasource?: { uid?: string } }[];
  };
}

const dashboard = JSON.parse(read('ops/grafana/dashboards/orderflow.json')) as Dashboard;

/** Metric names defined in metrics.ts, with the series a histogram adds. */
function definedMetrics(source: string): Set<string> {
  const names = new Set<string>();
  for (const [, kind, name] of source.matchAll(
    /new (Counter|Gauge|Histogram|Summary)\(\{\s*name: '([^']+)'/g,
  )) {
    names.add(name!);
    if (kind === 'Histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(name + suffix);
  }
  return names;
}

const PROMQL_KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'and',
  'or',
  'unless',
  'offset',
]);

/** The metric names a PromQL expression (or a Grafana label_values query) selects. */
function metricNamesIn(expr: string): string[] {
  const stripped = expr
    .replace(/label_values\(\s*([^,()]*?)\s*,\s*\w+\s*\)/g, ' $1 ')
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\$\{[^}]*\}|\$\w+/g, ' ');
  const names: string[] = [];
  for (const match of stripped.matchAll(/(?<![\w.])[A-Za-z_:][\w:]*/g)) {
    const isFunction = stripped
      .slice(match.index + match[0].length)
      .trimStart()
      .startsWith('(');
    if (!isFunction && !PROMQL_KEYWORDS.has(match[0].toLowerCase())) names.push(match[0]);
  }
  return names;
}

function allPanels(panels: Panel[]): Panel[] {
  return panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
}

function dashboardQueries(): { where: string; expr: string }[] {
  const fromPanels = allPanels(dashboard.panels).flatMap((panel) =>
    (panel.targets ?? []).map((t) => ({ where: panel.title, expr: t.expr ?? '' })),
  );
  const fromVariables = (dashboard.templating?.list ?? []).map((v) => ({
    where: `$${v.name}`,
    expr: typeof v.query === 'string' ? v.query : (v.query?.query ?? ''),
  }));
  return [...fromPanels, ...fromVariables];
}

describe('the PromQL metric-name reader this test relies on', () => {
  it('finds metric names inside functions and aggregations, and skips functions, labels and variables', () => {
    expect(
      metricNamesIn(
        'histogram_quantile(0.99, sum by (le, service) (rate(a_seconds_bucket{service=~"$service", x="b_total"}[$__rate_interval])))',
      ),
    ).toEqual(['a_seconds_bucket']);
    expect(metricNamesIn('sum(rate(a_total[5m])) / ignoring(x) sum(b_total offset 1h) * 1e3')).toEqual([
      'a_total',
      'b_total',
    ]);
    expect(metricNamesIn('label_values(c_messages, service)')).toEqual(['c_messages']);
  });
});

describe('ops/grafana', () => {
  const defined = definedMetrics(read('services/shared/src/metrics.ts'));

  it('reads every metric name of metrics.ts, with the extra series of histograms only', () => {
    expect([...defined]).toEqual(
      expect.arrayContaining([
        'orderflow_events_produced_total',
        'orderflow_consumer_lag_messages',
        'orderflow_handler_duration_seconds_bucket',
        'orderflow_http_request_duration_seconds_count',
      ]),
    );
    expect(defined.has('orderflow_events_produced_total_bucket')).toBe(false);
  });

  it('queries only metrics that services/shared/src/metrics.ts defines', () => {
    const queries = dashboardQueries();
    expect(queries.length).toBeGreaterThan(10);
    const unknown = queries.flatMap(({ where, expr }) =>
      metricNamesIn(expr)
        .filter((name) => !defined.has(name))
        .map((name) => `${where}: ${name}`),
    );
    expect(unknown).toEqual([]);
  });

  it('shows throughput, saga outcomes, handler latency, consumer lag, DLQ, errors and outbox backlog', () => {
    const exprs = dashboardQueries().map((q) => q.expr);
    const has = (pattern: RegExp) => exprs.some((expr) => pattern.test(expr));
    expect({
      throughput: has(/orderflow_events_produced_total\{[^}]*event_type="OrderCreated"/),
      outcomes: ['ShippingScheduled', 'PaymentDeclined', 'PaymentRefunded'].every((event) =>
        has(new RegExp(`orderflow_events_produced_total\\{[^}]*event_type=~?"[^"]*${event}`)),
      ),
      latency: has(/histogram_quantile\([^,]+,[\s\S]*orderflow_handler_duration_seconds_bucket/),
      lag: has(/orderflow_consumer_lag_messages/),
      dlq: has(/orderflow_dlq_messages_total/),
      handlerErrors: has(/orderflow_handler_failures_total/),
      http5xx: has(/orderflow_http_requests_total\{[^}]*status=~"5/),
      outbox: has(/orderflow_outbox_backlog_messages/),
    }).toEqual({
      throughput: true,
      outcomes: true,
      latency: true,
      lag: true,
      dlq: true,
      handlerErrors: true,
      http5xx: true,
      outbox: true,
    });
  });

  it('uses only the datasource that provisioning creates', () => {
    const provisioned = parse(read('ops/grafana/provisioning/datasources/prometheus.yml')) as {
      datasources: { uid: string; type: string; url: string }[];
    };
    const uids = new Set(provisioned.datasources.map((d) => d.uid));
    const used = [
      ...allPanels(dashboard.panels).flatMap((p) => [
        p.datasource?.uid,
        ...(p.targets ?? []).map((t) => t.datasource?.uid),
      ]),
      ...(dashboard.templating?.list ?? []).map((v) => v.datasource?.uid),
    ].filter((uid): uid is string => uid !== undefined);
    expect(used.length).toBeGreaterThan(0);
    expect(used.filter((uid) => !uids.has(uid))).toEqual([]);
    expect(provisioned.datasources).toEqual([
      expect.objectContaining({ type: 'prometheus', url: 'http://prometheus:9090' }),
    ]);
  });

  it('provisions the dashboard from the folder compose mounts it into', () => {
    const providers = parse(read('ops/grafana/provisioning/dashboards/orderflow.yml')) as {
      providers: { type: string; options: { path: string } }[];
    };
    const compose = parse(read('docker-compose.yml'), { merge: true }) as {
      services: Record<string, { volumes?: string[] }>;
    };
    const mounts = (compose.services.grafana?.volumes ?? []).map((v) => v.split(':'));
    const dashboardsMount = mounts.find(([source]) => source === './ops/grafana/dashboards');
    expect(providers.providers.map((p) => p.options.path)).toEqual([dashboardsMount?.[1]]);
    expect(readdirSync(resolve(ROOT, 'ops/grafana/dashboards'))).toContain('orderflow.json');
  });
});

describe('ops/prometheus', () => {
  it('scrapes exactly the five services, each on its port', () => {
    const config = parse(read('ops/prometheus/prometheus.yml')) as {
      scrape_configs: { metrics_path?: string; static_configs: { targets: string[] }[] }[];
    };
    const targets = config.scrape_configs.flatMap((job) =>
      job.static_configs.flatMap((s) => s.targets.map((t) => `${t}${job.metrics_path ?? '/metrics'}`)),
    );
    expect(targets.sort()).toEqual(
      SERVICE_NAMES.map((name) => `${name}:${SERVICES[name].port}/metrics`).sort(),
    );
  });
});
