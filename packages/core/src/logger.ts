/** Severity of a log event. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/**
 * One structured log event. `event` names what happened (for example
 * `order.finalized`); the other fields are flat, JSON-serialisable facts.
 */
export interface LogEvent {
  level: LogLevel;
  event: string;
  [field: string]: unknown;
}

/**
 * A logger is one function that receives structured events. certwright never
 * logs secrets (PINs, private keys, HMAC keys) into an event.
 */
export type Logger = (event: LogEvent) => void;

/** A logger that discards everything. */
export const silentLogger: Logger = () => {};

/**
 * A logger that writes one JSON line per event to `write` (default: stdout),
 * dropping events below `minLevel`.
 */
export function jsonLineLogger(
  options: { minLevel?: LogLevel; write?: (line: string) => void; now?: () => Date } = {},
): Logger {
  const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
  const min = order[options.minLevel ?? 'info'];
  const write = options.write ?? ((line: string) => process.stdout.write(line + '\n'));
  return (event) => {
    if (order[event.level] < min) return;
    const record = options.now ? { time: options.now().toISOString(), ...event } : event;
    write(toJsonLine(record));
  };
}

/** JSON of a log record; bigints (which plain JSON refuses) become decimal strings. */
function toJsonLine(record: object): string {
  try {
    return JSON.stringify(record);
  } catch (err) {
    if (!(err instanceof TypeError)) throw err;
    return JSON.stringify(record, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  }
}

/** A logger that keeps events in memory, for tests. */
export function memoryLogger(): Logger & { events: LogEvent[] } {
  const events: LogEvent[] = [];
  const logger = ((event: LogEvent) => {
    events.push(event);
  }) as Logger & { events: LogEvent[] };
  logger.events = events;
  return logger;
}
