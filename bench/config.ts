// The bench's flags and the settings of its two modes: `--quick` (CI's smoke run) and full.
// `--rates 300,500` and `--rate-seconds 20` replace the mode's open-loop rates and their length.
const args = process.argv.slice(2);
const argv = new Set(args);
export const QUICK = argv.has('--quick');
export const SOAK = argv.has('--soak');
export const TRACING = argv.has('--tracing');

/** `--compare NAME=VALUE,NAME=VALUE`: environment variables to run orderflow with beside its defaults. */
export function settingsAfter(list: string[], flag: string): Record<string, string> | undefined {
  const i = list.indexOf(flag);
  if (i < 0) return undefined;
  const pairs = (list[i + 1] ?? '').split(',').map((pair) => /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(pair));
  if (pairs.length === 0 || pairs.some((m) => m === null))
    throw new Error(`${flag} takes NAME=VALUE pairs separated by commas, not ${list[i + 1] ?? 'nothing'}`);
  return Object.fromEntries(pairs.map((m) => [m![1]!, m![2]!]));
}
export const COMPARE = settingsAfter(args, '--compare');

/** The value after `flag`, as positive numbers separated by commas; undefined without the flag. */
export function numbersAfter(list: string[], flag: string): number[] | undefined {
  const i = list.indexOf(flag);
  if (i < 0) return undefined;
  const numbers = (list[i + 1] ?? '').split(',').map(Number);
  if (numbers.some((n) => !Number.isFinite(n) || n <= 0))
    throw new Error(`${flag} takes positive numbers separated by commas, not ${list[i + 1] ?? 'nothing'}`);
  return numbers;
}

const MODE = QUICK
  ? {
      mode: 'quick',
      warmup: false,
      rounds: 1,
      satConcurrency: 128,
      satMs: 3_000,
      rates: [100],
      oneAtATime: 20,
      e2eMs: 4_000,
      platMs: 3_000,
      drainCount: 3_000,
      drainMaxMs: 6_000,
      drains: 1,
      serdeMs: 100,
      terminalWaitMs: 45_000,
      soakMs: 600_000,
      soakRate: 200,
    }
  : {
      mode: 'full',
      warmup: true,
      rounds: 5,
      satConcurrency: 128,
      satMs: 8_000,
      // Under capacity: what a user feels when the platform is not queueing.
      rates: [100, 250],
      oneAtATime: 200,
      e2eMs: 8_000,
      platMs: 6_000,
      drainCount: 8_000,
      drainMaxMs: 6_000,
      drains: 4,
      serdeMs: 400,
      terminalWaitMs: 90_000,
      soakMs: 600_000,
      soakRate: 200,
    };

const rates = numbersAfter(args, '--rates');
const rateSeconds = numbersAfter(args, '--rate-seconds')?.[0];
export const CONFIG = {
  ...MODE,
  rates: rates ?? MODE.rates,
  e2eMs: rateSeconds ? rateSeconds * 1000 : MODE.e2eMs,
};
