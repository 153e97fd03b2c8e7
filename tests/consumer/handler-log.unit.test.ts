// A handler's logger: its lines carry the event's ids, and the child logger behind it (whose
// bindings pino redacts when it is made) is made only for a line at an enabled level.
import { Writable } from 'node:stream';
import { createLogger, lazyChild } from '@orderflow/shared';
import { FakeDatabase, fakeBatch, orderCreated, runnerOver } from './fakes';

function loggerAt(level: string) {
  const lines: string[] = [];
  const logger = createLogger({
    service: 'test',
    level,
    destination: new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    }),
  });
  let children = 0;
  const child = logger.child.bind(logger);
  logger.child = ((...args: Parameters<typeof child>) => {
    children++;
    return child(...args);
  }) as typeof logger.child;
  return { logger, lines, children: () => children };
}

test('given level warn, when a handler logs at info for every event, then no child logger is made and nothing is written', () => {
  const { logger, lines, children } = loggerAt('warn');
  for (let i = 0; i < 100; i++) lazyChild(logger, () => ({ orderId: `order-${i}` })).info('payment captured');
  expect(children()).toBe(0);
  expect(lines).toEqual([]);
});

test('given level warn, when a handler logs a warning, then one child logger writes it with its bindings, and later lines reuse it', () => {
  const { logger, lines, children } = loggerAt('warn');
  const log = lazyChild(logger, () => ({ orderId: 'order-7' }));
  log.warn('odd');
  log.error({ n: 1 }, 'worse');
  log.info('below the level');
  expect(children()).toBe(1);
  expect(lines.map((l) => JSON.parse(l) as Record<string, unknown>)).toMatchObject([
    { orderId: 'order-7', msg: 'odd', level: 'warn' },
    { orderId: 'order-7', msg: 'worse', n: 1, level: 'error' },
  ]);
});

test("a handler's log lines carry the orderId, eventId and place of the event being handled", async () => {
  const { consume, logs } = runnerOver(new FakeDatabase(), {
    OrderCreated: async (event, ctx) => ctx.log.info('charged'),
  });
  await consume(fakeBatch([orderCreated(3)]));
  const line = logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'charged');
  expect(line).toMatchObject({
    orderId: 'order-3',
    eventId: '00000000-0000-4000-8000-000000000003',
    eventType: 'OrderCreated',
    partition: 0,
    offset: '3',
  });
});
