import test from 'ava';
import { batchCalls, coalesce, coalesceItems } from '../../src/jobs/coalesce';

// issue 15 item 4: what is handed over in one turn of the event loop is sent in one call.
const turn = () => new Promise((r) => setImmediate(r));

test('ids of one turn go in one call, in order, each once; the next turn is another call', async (t) => {
  const calls: string[][] = [];
  const hand = coalesce(
    async (ids) => {
      calls.push(ids);
    },
    () => t.fail(),
  );
  hand(['a', 'b']);
  hand([]);
  hand(['c', 'a']);
  t.deepEqual(calls, [], 'nothing is sent within the turn');
  await turn();
  t.deepEqual(calls, [['a', 'b', 'c']]);
  hand(['d']);
  await turn();
  t.deepEqual(calls, [['a', 'b', 'c'], ['d']]);
});

test('more than max items are split; a failing or throwing send reaches onError with its part', async (t) => {
  const calls: number[][] = [];
  const errors: [string, number[]][] = [];
  const hand = coalesceItems<number>(
    async (items) => {
      calls.push(items);
      if (items[0] === 3) throw new Error('redis down');
    },
    (err, items) => errors.push([(err as Error).message, items]),
    { max: 2 },
  );
  hand([1, 2, 3, 4, 5]);
  await turn();
  await turn();
  t.deepEqual(calls, [[1, 2], [3, 4], [5]]);
  t.deepEqual(errors, [['redis down', [3, 4]]]);

  const sync: [string, string[]][] = [];
  const throwing = coalesce(
    () => {
      throw new Error('at once');
    },
    (err, ids) => sync.push([(err as Error).message, ids]),
  );
  throwing(['x']);
  await turn();
  await turn();
  t.deepEqual(sync, [['at once', ['x']]]);
});

test('items with a key: the last one of a key wins, at its first place', async (t) => {
  const calls: { id: string; v: number }[][] = [];
  const hand = coalesceItems<{ id: string; v: number }>(
    async (items) => {
      calls.push(items);
    },
    () => t.fail(),
    { key: (i) => i.id },
  );
  hand([
    { id: 'a', v: 1 },
    { id: 'b', v: 1 },
  ]);
  hand([{ id: 'a', v: 2 }]);
  await turn();
  t.deepEqual(calls, [
    [
      { id: 'a', v: 2 },
      { id: 'b', v: 1 },
    ],
  ]);
});

test('batchCalls: the calls of one turn go in one batch; those made while it runs go together in the next; results in order', async (t) => {
  const batches: number[][] = [];
  let release!: () => void;
  const run = batchCalls<number, string>(async (items) => {
    batches.push(items);
    if (batches.length === 1) await new Promise<void>((r) => (release = r));
    return items.map((i) => `r${i}`);
  }, 3);
  const first = [run(1), run(2)];
  await turn();
  t.deepEqual(batches, [[1, 2]]);
  const later = [run(3), run(4), run(5), run(6)];
  await turn();
  t.deepEqual(batches, [[1, 2]], 'nothing else runs while a batch is in flight');
  release();
  t.deepEqual(await Promise.all([...first, ...later]), ['r1', 'r2', 'r3', 'r4', 'r5', 'r6']);
  t.deepEqual(batches, [[1, 2], [3, 4, 5], [6]], 'at most max per batch');
});

test('batchCalls: a failing batch rejects each of its calls, and the next batch runs', async (t) => {
  const run = batchCalls<number, number>(async (items) => {
    if (items.includes(0)) throw new Error('database down');
    return items.map((i) => i * 2);
  });
  const bad = await Promise.allSettled([run(0), run(1)]);
  t.deepEqual(
    bad.map((r) => (r.status === 'rejected' ? (r.reason as Error).message : r.value)),
    ['database down', 'database down'],
  );
  t.deepEqual(await Promise.all([run(2), run(3)]), [4, 6]);
});
