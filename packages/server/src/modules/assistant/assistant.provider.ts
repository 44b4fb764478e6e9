import type OpenAI from 'openai';
import type { ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';
import { AppError } from '../../errors.js';

/** Where the model is and how to reach it (the ai_* config flags). */
export interface ProviderSettings {
  baseURL: string;
  apiKey: string;
  model: string;
  timeoutMs: number;
}

export interface ToolCall {
  id: string;
  name: string;
  /** The arguments as the model wrote them (JSON text, possibly invalid). */
  args: string;
}

export interface StepResult {
  text: string;
  toolCalls: ToolCall[];
  promptTokens: number;
  completionTokens: number;
}

/** What a step hands over as it streams: the text in pieces, bracketed. */
export interface StepListener {
  startText(): void;
  text(content: string): void;
  finishText(): void;
}

/** The openai client, loaded with the first turn: a second of start-up most Berth processes (and test files) never need. */
let openai: Promise<typeof OpenAI> | undefined;
const loadOpenAI = () => (openai ??= import('openai').then((m) => m.default));

/**
 * One model call over any OpenAI-compatible chat-completions API, streamed:
 * text deltas are handed over as they come, tool calls are assembled from
 * their pieces, and the usage comes from the final chunk (include_usage).
 * Aborting `signal` ends the stream; the partial step is returned.
 */
export async function streamStep(
  settings: ProviderSettings,
  messages: ChatCompletionMessageParam[],
  tools: ChatCompletionTool[],
  signal: AbortSignal,
  listener: StepListener,
): Promise<StepResult> {
  // No retries: a provider that is down says so at once rather than after a backoff the user waits through.
  const OpenAI = await loadOpenAI();
  const client = new OpenAI({ baseURL: settings.baseURL, apiKey: settings.apiKey, maxRetries: 0, timeout: settings.timeoutMs });
  const result: StepResult = { text: '', toolCalls: [], promptTokens: 0, completionTokens: 0 };
  const calls = new Map<number, ToolCall>();
  let inText = false;
  try {
    const stream = await client.chat.completions.create(
      { model: settings.model, messages, tools, stream: true, stream_options: { include_usage: true } },
      { signal },
    );
    for await (const chunk of stream) {
      if (chunk.usage) {
        result.promptTokens = chunk.usage.prompt_tokens;
        result.completionTokens = chunk.usage.completion_tokens;
      }
      const delta = chunk.choices[0]?.delta;
      if (delta?.content) {
        if (!inText) listener.startText();
        inText = true;
        result.text += delta.content;
        listener.text(delta.content);
      }
      for (const piece of delta?.tool_calls ?? []) {
        const call = calls.get(piece.index) ?? { id: '', name: '', args: '' };
        if (piece.id) call.id = piece.id;
        if (piece.function?.name) call.name += piece.function.name;
        if (piece.function?.arguments) call.args += piece.function.arguments;
        calls.set(piece.index, call);
      }
    }
  } catch (err) {
    if (!signal.aborted) throw providerError(OpenAI, err);
  } finally {
    if (inText) listener.finishText();
  }
  result.toolCalls = [...calls.entries()].sort(([a], [b]) => a - b).map(([index, call]) => ({ ...call, id: call.id || `call_${index}` }));
  return result;
}

/** The provider's failure as Berth's: its status and words, never its credentials. */
function providerError(OpenAI: Awaited<ReturnType<typeof loadOpenAI>>, err: unknown): AppError {
  if (err instanceof OpenAI.APIConnectionError) return new AppError('assistant_provider_error', `The AI provider could not be reached: ${err.message}`);
  if (err instanceof OpenAI.APIError) return new AppError('assistant_provider_error', `The AI provider answered ${err.status ?? 'an error'}: ${err.message}`);
  return new AppError('assistant_provider_error', `The AI provider failed: ${(err as Error).message}`);
}
