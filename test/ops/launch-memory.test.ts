import test from 'ava';
import { launchMemory } from '../../src/launch-memory';
import { parseStartScript } from '../../scripts/bench-common';

// issue 15 item 5 (docs/decisions/memory.md): the young generation's size can only be given on
// node's command line or in NODE_OPTIONS; main.ts logs what the process was started with.

test('launchMemory: --max-semi-space-size from node arguments or NODE_OPTIONS, the command line winning', (t) => {
  t.deepEqual(launchMemory([], {}), { maxSemiSpaceMiB: null });
  t.deepEqual(launchMemory(['--max-semi-space-size=4'], {}), { maxSemiSpaceMiB: 4 });
  t.deepEqual(launchMemory(['--max_semi_space_size', '2'], {}), { maxSemiSpaceMiB: 2 });
  t.deepEqual(launchMemory([], { NODE_OPTIONS: '--enable-source-maps  --max-semi-space-size 8' }), { maxSemiSpaceMiB: 8 });
  t.deepEqual(launchMemory(['--max-semi-space-size=4'], { NODE_OPTIONS: '--max-semi-space-size=16' }), { maxSemiSpaceMiB: 4 });
  t.deepEqual(launchMemory(['--max-semi-space-size=4', '--max-semi-space-size=1'], {}), { maxSemiSpaceMiB: 1 });
  // other flags and values that are not a size leave it unset
  t.deepEqual(launchMemory(['--max-old-space-size=512', '--max-semi-space-size-x=3'], { NODE_OPTIONS: '' }), { maxSemiSpaceMiB: null });
  t.deepEqual(launchMemory(['--max-semi-space-size='], {}), { maxSemiSpaceMiB: null });
  t.deepEqual(launchMemory(['--max-semi-space-size'], {}), { maxSemiSpaceMiB: null });
  t.deepEqual(launchMemory(['--max-semi-space-size=abc'], {}), { maxSemiSpaceMiB: null });
});

test('the benchmarks start a checkout’s service as its npm start does: its environment and node flags', (t) => {
  t.deepEqual(parseStartScript('tsc -p tsconfig.json && MALLOC_ARENA_MAX=2 node --max-semi-space-size=4 build/src/main.js'), {
    env: { MALLOC_ARENA_MAX: '2' },
    args: ['--max-semi-space-size=4'],
  });
  t.deepEqual(parseStartScript('tsc -p tsconfig.json && node build/src/main.js'), { env: {}, args: [] });
  t.deepEqual(parseStartScript('tsc -p tsconfig.json && node build/src/cli/index.js demo'), { env: {}, args: [] });
  t.deepEqual(parseStartScript(''), { env: {}, args: [] });
  const launch = parseStartScript('node --max-semi-space-size=8 build/src/main.js');
  t.deepEqual(launchMemory(launch.args, launch.env), { maxSemiSpaceMiB: 8 });
});
