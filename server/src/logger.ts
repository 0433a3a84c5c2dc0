import { pino } from 'pino';

export type Logger = pino.Logger;

/** JSON logs on stdout; one logger per process, children carry request ids and components. */
export function createLogger(level: string = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({ level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime });
}
