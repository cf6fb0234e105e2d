import pino from 'pino';

/** Structured JSON logs (pino); every request gets a child logger with its request id. */
export function createLogger(level = 'info') {
  return pino({ level, base: { service: 'grievance' }, timestamp: pino.stdTimeFunctions.isoTime });
}
export type Logger = pino.Logger;
