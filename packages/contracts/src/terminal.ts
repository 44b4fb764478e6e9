import { z } from 'zod';

export const TERMINAL_MAX_COLS = 1000;
export const TERMINAL_MAX_ROWS = 500;

const cols = z.coerce.number().int().min(1).max(TERMINAL_MAX_COLS);
const rows = z.coerce.number().int().min(1).max(TERMINAL_MAX_ROWS);

export const TerminalQuerySchema = z.strictObject({
  session: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, "_" or "-", at most 64')
    .default('main')
    .describe('Reconnecting with the same id re-attaches to the same shell'),
  cols: cols.default(80),
  rows: rows.default(24),
});

/** Text frames from the client: control messages. Binary frames are keystrokes. */
export const TerminalClientMessageSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('resize'), cols, rows }),
]);

/** Text frames from the server. */
export type TerminalServerMessage =
  | { type: 'exit'; code: number | null }
  | { type: 'error'; code: string; message: string };

export type TerminalQuery = z.infer<typeof TerminalQuerySchema>;
export type TerminalClientMessage = z.infer<typeof TerminalClientMessageSchema>;
