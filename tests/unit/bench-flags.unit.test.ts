// The bench's numeric flags (bench/config.ts): `--rates 300,500` and `--rate-seconds 20`.
import { numbersAfter } from '../../bench/config';

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
