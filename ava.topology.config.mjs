// `npm run test:topology` (issue 14): the multi-node topology test, on its own because it
// brings up Redis Cluster, Sentinel, Galera and haproxy itself (a few minutes). The normal
// `npm test` never runs it.
export default {
  typescript: { rewritePaths: { 'test/': 'build/test/' }, compile: false },
  files: ['test/topology/**/*.test.ts'],
  timeout: '8m',
  concurrency: 1,
  workerThreads: false,
  verbose: true,
};
