// The bench's correctness accounting (bench/correctness.ts): every accepted order of a round,
// on the platform instance still running and on those abandoned because they fell behind,
// must finish exactly once; what fails the run is decided from that.
import { correctnessOf, failuresOf, type InstanceOrders } from '../../bench/correctness';

function instance(
  accepted: string[],
  seen: Record<string, number>,
  more: Partial<InstanceOrders> = {},
): InstanceOrders {
  return { accepted, overdue: new Set(), seen: new Map(Object.entries(seen)), abandoned: false, ...more };
}

test('orders of an abandoned instance count: one that never finishes there is missing', () => {
  const c = correctnessOf([
    instance(['a', 'b'], { a: 1, b: 1 }),
    instance(['c', 'd'], { c: 1 }, { abandoned: true, overdue: new Set(['c', 'd']) }),
  ]);
  expect(c).toEqual({ accepted: 4, missing: 1, duplicates: 0, late: 1, abandoned: 1 });
  expect(failuresOf('orderflow', c)).toEqual(['orderflow: 1 of 4 orders never finished']);
});

test('an order finished only after its phase deadline is late, not missing, and fails nothing', () => {
  const c = correctnessOf([instance(['a', 'b'], { a: 1, b: 1 }, { overdue: new Set(['b']) })]);
  expect(c.late).toBe(1);
  expect(c.missing).toBe(0);
  expect(failuresOf('orderflow', c)).toEqual([]);
});

test('a second terminal event of one order is a duplicate and fails the run', () => {
  const c = correctnessOf([instance(['a'], { a: 1 }), instance(['b'], { b: 2 }, { abandoned: true })]);
  expect(c.duplicates).toBe(1);
  expect(failuresOf('soak', c)).toEqual(['soak: 1 orders finished more than once']);
});

test('orders not finished in the pipeline state fail the run, summed over every instance', () => {
  const c = correctnessOf([
    instance(['a', 'b'], { a: 1, b: 1 }, { finishedInState: 2 }),
    instance(['c'], { c: 1 }, { finishedInState: 0, abandoned: true }),
  ]);
  expect(c.finishedInState).toBe(2);
  expect(failuresOf('orderflow', c)).toEqual(['orderflow: 1 of 3 orders not finished in its own state']);
});

test('a pipeline without state of its own is judged on terminal events alone', () => {
  const c = correctnessOf([instance(['a'], { a: 1 })]);
  expect(c.finishedInState).toBeUndefined();
  expect(failuresOf('ceiling', c)).toEqual([]);
});
