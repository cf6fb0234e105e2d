// `npm run test:topology` (issue 14): the multi-node topology test, on its own because it
// brings up Redis Cluster, Sentinel, Galera and haproxy itself (a few minutes). The normal
// `npm test` never runs it.
export default {
  typescript: { rewritePaths: { 'test/': 'build/test/' }, compile: false },
  files: ['test/topology/**/*.test.ts'],
  timeout: '12m', // above the test's own bounds, which give up first and say what they waited for
  concurrency: 1,
  workerThreads: false,
  verbose: true,
};
