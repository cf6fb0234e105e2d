import client from 'prom-client';

/**
 * The process's one Prometheus registry (`/metrics`): HTTP, the clock, mail. Every layer
 * registers its own instruments here.
 */
export const metrics = new client.Registry();
client.collectDefaultMetrics({ register: metrics });

/** Request duration by method, matched route and status. */
export const httpDuration = new client.Histogram({
  name: 'http_request_duration_seconds',
  help: 'HTTP request duration',
  labelNames: ['method', 'route', 'status'],
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  registers: [metrics],
});
