import pino from 'pino';

/** How many of the last lines are kept: enough for the moments before a failure, bounded for a long file. */
const MAX_LINES = 40;
const lines: string[] = [];

/**
 * The warnings and errors of this file's test servers, kept in memory and printed when a test fails
 * (test/support/print-log-on-failure.ts): CI keeps only the run's output, and a server's words on
 * why it answered 500 or `unavailable` are what a failure there needs. BERTH_TEST_LOG, when set,
 * sends every line of the level it names to stderr instead.
 */
export function testLogger(): pino.Logger {
  if (process.env.BERTH_TEST_LOG) return pino({ level: process.env.BERTH_TEST_LOG }, pino.destination(2));
  return pino(
    { level: 'warn', base: null, timestamp: pino.stdTimeFunctions.isoTime },
    {
      write(line: string) {
        lines.push(line);
        if (lines.length > MAX_LINES) lines.shift();
      },
    },
  );
}

/** The lines kept so far, oldest first; they are not kept again. */
export function takeRecentLog(): string[] {
  return lines.splice(0);
}
