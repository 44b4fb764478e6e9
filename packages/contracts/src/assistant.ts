import { z } from 'zod';
import { IdSchema, TimestampSchema } from './common.js';

/** The longest message a user may send the assistant, in characters. */
export const ASSISTANT_MAX_MESSAGE_CHARS = 32_000;
/** The most requests a day an organization or member limit may be set to. */
export const ASSISTANT_MAX_USES_PER_DAY = 100_000;
/** The longest period the usage report covers, in days. */
export const ASSISTANT_USAGE_MAX_DAYS = 366;

export const AssistantUsesPerDaySchema = z.number().int().min(0).max(ASSISTANT_MAX_USES_PER_DAY);

/** What a client sends over the assistant socket (text frames, JSON). */
export const AssistantClientMessageSchema = z.union([
  z.strictObject({ text: z.string().trim().min(1).max(ASSISTANT_MAX_MESSAGE_CHARS).describe('A user message: one turn (one request of the daily limit). "/clear" empties the current conversation instead') }),
  z.discriminatedUnion('action', [
    z.strictObject({ action: z.literal('stop').describe('Stops the running turn: the provider stream and any running tool') }),
    z.strictObject({ action: z.literal('new') }),
    z.strictObject({ action: z.literal('switch'), conversationId: IdSchema }),
    z.strictObject({ action: z.literal('delete'), conversationId: IdSchema.optional().describe('Default: the current one') }),
    z.strictObject({ action: z.literal('list') }),
    z.strictObject({ action: z.literal('clear') }),
  ]),
]);

export const AssistantConversationSchema = z.object({
  id: IdSchema,
  title: z.string(),
  createdAt: TimestampSchema,
  updatedAt: TimestampSchema,
});

/** One stored message as a client shows it again: the user's, the assistant's (with its tool calls), or a tool's result. */
export const AssistantMessageSchema = z.object({
  seq: z.number().int(),
  role: z.enum(['user', 'assistant', 'tool']),
  content: z.string(),
  toolCalls: z.array(z.object({ id: z.string(), name: z.string(), args: z.string() })).optional(),
  toolCallId: z.string().optional(),
});

/** Events the server sends, one JSON text frame each. */
export type AssistantServerEvent =
  | { type: 'connected'; usesLeftToday: number; usesPerDay: number; model: string; conversationId: string | null }
  | { type: 'conversations'; items: AssistantConversation[]; currentId: string | null }
  | { type: 'conversation'; conversation: AssistantConversation | null; messages: AssistantMessage[] }
  | { type: 'start_text' }
  | { type: 'text'; content: string }
  | { type: 'finish_text' }
  | { type: 'tool_call'; id: string; name: string; args: string }
  | { type: 'tool_result'; id: string; output: string; truncated: boolean }
  | { type: 'usage'; promptTokens: number; completionTokens: number; costUsd: number; usesLeftToday: number }
  | { type: 'done'; stopped: boolean; reason?: 'stopped' | 'max_steps' | 'error' }
  | { type: 'error'; code: string; message: string };

export const AssistantUsageQuerySchema = z.strictObject({
  days: z.coerce.number().int().min(1).max(ASSISTANT_USAGE_MAX_DAYS).default(30).describe('How many UTC days back, today included'),
});

export const AssistantUsageRowSchema = z.object({
  day: z.iso.date().describe('The UTC day'),
  userId: IdSchema,
  username: z.string(),
  requests: z.number().int(),
  promptTokens: z.number().int(),
  completionTokens: z.number().int(),
  costUsd: z.number().describe('US dollars, from the prices in force at each request'),
});
export const AssistantUsageSchema = z.object({ items: z.array(AssistantUsageRowSchema) }).meta({ id: 'AssistantUsage' });

export const MemberAssistantBodySchema = z.strictObject({
  usesPerDay: AssistantUsesPerDaySchema.nullable().describe("This member's assistant requests per day; null: the organization's default"),
});
export const MemberAssistantSchema = z.object({ username: z.string(), usesPerDay: z.number().int().nullable() });

export type AssistantClientMessage = z.infer<typeof AssistantClientMessageSchema>;
export type AssistantConversation = z.infer<typeof AssistantConversationSchema>;
export type AssistantMessage = z.infer<typeof AssistantMessageSchema>;
export type AssistantUsageRow = z.infer<typeof AssistantUsageRowSchema>;
export type MemberAssistantBody = z.infer<typeof MemberAssistantBodySchema>;
