import { pino } from 'pino';

export type Logger = pino.Logger;

/**
 * JSON logs, one logger per process; children carry request ids and components. Servers log to
 * stdout; one-shot commands log to stderr so their stdout stays clean for scripts.
 */
export function createLogger(
  level: string = process.env.LOG_LEVEL ?? 'info',
  stream: 'stdout' | 'stderr' = 'stdout',
): Logger {
  return pino(
    { level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime },
    pino.destination({ fd: stream === 'stdout' ? 1 : 2, sync: true }),
  );
}
