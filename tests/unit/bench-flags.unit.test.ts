// The bench's flags with values (bench/config.ts): `--rates 300,500`, `--rate-seconds 20`, `--compare A=1`.
import { numbersAfter, settingsAfter } from '../../bench/config';

test('a flag followed by numbers separated by commas gives those numbers', () => {
  expect(numbersAfter(['--quick', '--rates', '300,500'], '--rates')).toEqual([300, 500]);
});

test('an absent flag gives nothing, so the mode keeps its own settings', () => {
  expect(numbersAfter(['--quick'], '--rates')).toBeUndefined();
});

test('a flag without a positive number is refused, naming the flag and what it got', () => {
  expect(() => numbersAfter(['--rates', '300,fast'], '--rates')).toThrow(
    '--rates takes positive numbers separated by commas, not 300,fast',
  );
  expect(() => numbersAfter(['--rate-seconds'], '--rate-seconds')).toThrow('not nothing');
  expect(() => numbersAfter(['--rates', '0'], '--rates')).toThrow('--rates takes positive numbers');
});

test('--compare takes NAME=VALUE pairs separated by commas', () => {
  expect(
    settingsAfter(['--quick', '--compare', 'KAFKA_FETCH_LINGER_MS=0,LOG_LEVEL=info'], '--compare'),
  ).toEqual({
    KAFKA_FETCH_LINGER_MS: '0',
    LOG_LEVEL: 'info',
  });
  expect(settingsAfter(['--quick'], '--compare')).toBeUndefined();
  expect(() => settingsAfter(['--compare', 'linger'], '--compare')).toThrow(
    '--compare takes NAME=VALUE pairs separated by commas, not linger',
  );
  expect(() => settingsAfter(['--compare'], '--compare')).toThrow('not nothing');
});
