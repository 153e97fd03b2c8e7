// `npm run topics:create` (scripts/topics.ts): what it creates and what it reads.
import { SERVICES, SERVICE_NAMES } from '@orderflow/shared';
import { plannedTopics, readTopicsConfig } from '../../scripts/topics';

describe('topics:create', () => {
  it('plans every event topic and one single-partition DLQ per service, under the prefix', () => {
    const planned = plannedTopics('p-');
    expect(planned.map((t) => t.topic).sort()).toEqual(
      [
        ...SERVICE_NAMES.map((name) => `p-${SERVICES[name].topic}`),
        ...SERVICE_NAMES.map((name) => `p-orderflow.${name}.dlq`),
      ].sort(),
    );
    expect(planned.filter((t) => t.topic.endsWith('.dlq')).every((t) => t.partitions === 1)).toBe(true);
  });

  it('reads KAFKA_BROKERS and TOPIC_PREFIX, and reports every bad value at once', () => {
    expect(readTopicsConfig({ KAFKA_BROKERS: 'a:1,b:2', TOPIC_PREFIX: 'x-' })).toMatchObject({
      kafka: { brokers: ['a:1', 'b:2'] },
      prefix: 'x-',
    });
    expect(() => readTopicsConfig({ KAFKA_BROKERS: 'nope', LOG_LEVEL: 'loud' })).toThrow(
      /KAFKA_BROKERS[\s\S]*LOG_LEVEL/,
    );
  });
});
