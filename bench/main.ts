// `npm run bench [-- --quick] [-- --soak]`: the three pipelines (ceiling, peer, orderflow)
// measured in turn, round after round, on the same stack, order bodies, partition count and
// partitions consumed at once. `-- --tracing` (tracing off vs on) and `-- --compare NAME=VALUE`
// (as configured vs with those settings) measure orderflow alone instead (bench/compare.ts). Prints progress and a table of medians, writes raw results to
// bench/results/ and a chart to docs/. Every load targets 127.0.0.1 and is bounded in count
// and time. Exits non-zero when an order of the ceiling or orderflow was lost, doubled or (for
// orderflow) not SHIPPED in its own projection, in any round or in the soak.
import { runBench } from './run';

runBench().then(
  (failures) => {
    if (failures.length > 0) console.error(`correctness FAILED:\n  ${failures.join('\n  ')}`);
    process.exit(failures.length > 0 ? 1 : 0);
  },
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
