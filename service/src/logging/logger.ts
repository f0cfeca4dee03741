import pino, { type Logger } from 'pino';
import type { LogLevel } from '../config/config';

export type { Logger };

/** JSON lines on stdout with the pod name on every line, ISO time and a textual level. */
export function createLogger(level: LogLevel, pod: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { pod },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination ?? pino.destination({ dest: 1, sync: true }),
  );
}
