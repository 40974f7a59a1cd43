/**
 * Log lines gathered per event-loop turn: writing to a pipe or file from
 * Node is a synchronous system call per write, and the CA logs two lines
 * per request. Lines are joined and written once, after the current turn
 * (or at once past `maxBufferedBytes`), in the order they were logged.
 */

/** A line writer with an explicit flush. */
export interface LineBuffer {
  /** Queues one line (without its newline). */
  write(line: string): void;
  /** Writes every queued line now. */
  flush(): void;
}

/** Default {@link bufferedLines} threshold: 64 KiB. */
export const DEFAULT_MAX_BUFFERED_BYTES = 64 * 1024;

/**
 * Buffers lines for `write` (e.g. `(text) => process.stdout.write(text)`).
 * The caller flushes before writing to the same stream by other means and
 * before exiting; `process.on('exit')` is a last resort the caller may add.
 */
export function bufferedLines(write: (text: string) => void, maxBufferedBytes = DEFAULT_MAX_BUFFERED_BYTES): LineBuffer {
  let lines: string[] = [];
  let bytes = 0;
  let scheduled: NodeJS.Immediate | undefined;
  const flush = (): void => {
    if (scheduled !== undefined) {
      clearImmediate(scheduled);
      scheduled = undefined;
    }
    if (lines.length === 0) return;
    const text = lines.join('\n') + '\n';
    lines = [];
    bytes = 0;
    write(text);
  };
  return {
    write(line) {
      lines.push(line);
      bytes += line.length + 1;
      if (bytes >= maxBufferedBytes) flush();
      else scheduled ??= setImmediate(flush);
    },
    flush,
  };
}
