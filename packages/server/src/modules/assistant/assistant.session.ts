import { AssistantClientMessageSchema, type AssistantClientMessage, type AssistantServerEvent } from '@berth/contracts';
import type { FastifyBaseLogger } from 'fastify';
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import type { WebSocket } from 'ws';
import type { RequestContext } from '../../context.js';
import { AppError } from '../../errors.js';
import { streamStep, type StepResult } from './assistant.provider.js';
import { toMessage, type AssistantService, type CountedTurn, type StoredMessage, type TurnSettings } from './assistant.service.js';
import { createToolbox, type ToolDeps } from './assistant.tools.js';

export interface SessionDeps {
  assistant: AssistantService;
  tools: ToolDeps;
  maxSteps: number;
  log: FastifyBaseLogger;
}

/** The socket's environment, as authorized before the upgrade. */
export interface SessionEnvironment {
  id: string;
  name: string;
  orgId: string;
}

const systemPrompt = (env: SessionEnvironment): ChatCompletionMessageParam => ({
  role: 'system',
  content:
    `You are Berth's coding assistant, working inside the environment "${env.name}", a Linux container whose files are under /workspace. ` +
    'Use the tools to look before you change anything; keep answers short and say what you did.',
});

const STOPPED_BEFORE_RUN = 'Not run: the user stopped the turn';

/**
 * One assistant socket: its current conversation, the turn running in it (at
 * most one), and the tools, bound to the socket's environment and the
 * caller's request context. Every client message is validated first; a bad
 * one is answered with an `error` event and nothing is done.
 */
export function runAssistantSession(socket: WebSocket, ctx: RequestContext, env: SessionEnvironment, deps: SessionDeps): void {
  const { assistant } = deps;
  // A context of its own: the services decide access again at each tool call, not on the upgrade's read.
  const toolbox = createToolbox(deps.tools, { ...ctx }, env.id);
  let current: string | null = null;
  let turn: AbortController | null = null;
  let queue = Promise.resolve();

  const send = (event: AssistantServerEvent) => {
    if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(event));
  };
  const fail = (err: unknown) => {
    if (!(err instanceof AppError)) deps.log.error({ err }, 'assistant session failed');
    send({ type: 'error', code: err instanceof AppError ? err.code : 'internal_error', message: err instanceof AppError ? err.message : 'internal error' });
  };

  const sendList = async () => send({ type: 'conversations', items: await assistant.conversations(ctx, env.id), currentId: current });
  const sendCurrent = async () => {
    const conversation = current ? await assistant.conversation(ctx, env.id, current) : null;
    const messages = current ? (await assistant.history(current)).map(toMessage) : [];
    send({ type: 'conversation', conversation, messages });
  };

  async function open(): Promise<void> {
    const [latest] = await assistant.conversations(ctx, env.id);
    current = latest?.id ?? null;
    const allowance = await assistant.allowance(ctx.actor!.id, env.orgId);
    let settings: TurnSettings | undefined;
    try {
      settings = await assistant.settings();
    } catch (err) {
      if (!(err instanceof AppError && err.code === 'assistant_unavailable')) throw err;
    }
    send({ type: 'connected', usesLeftToday: allowance.left, usesPerDay: allowance.usesPerDay, model: settings?.provider.model ?? '', conversationId: current });
    if (!settings) fail(new AppError('assistant_unavailable', 'The AI assistant is not configured: an administrator sets ai_api_url and ai_api_key'));
    await sendList();
    await sendCurrent();
  }

  async function handle(message: AssistantClientMessage): Promise<void> {
    if ('text' in message && message.text === '/clear') return handle({ action: 'clear' });
    if ('action' in message && message.action === 'list') return sendList();
    if (turn) throw new AppError('conflict', 'A turn is running: wait for it or stop it first');
    if ('text' in message) {
      // Not awaited: the socket keeps taking messages (stop) while the turn runs.
      const controller = (turn = new AbortController());
      void runTurn(message.text, controller).finally(() => (turn = null));
      return;
    }
    switch (message.action) {
      case 'new':
        current = (await assistant.create(ctx, env.id)).id;
        break;
      case 'switch':
        current = (await assistant.conversation(ctx, env.id, message.conversationId)).id;
        break;
      case 'delete': {
        const id = message.conversationId ?? current;
        if (!id) return;
        await assistant.remove(ctx, env.id, id);
        if (id === current) current = (await assistant.conversations(ctx, env.id))[0]?.id ?? null;
        break;
      }
      case 'clear':
        if (current) await assistant.clear(ctx, env.id, current);
        break;
      case 'stop':
        return; // nothing runs
    }
    await sendList();
    await sendCurrent();
  }

  async function runTurn(text: string, controller: AbortController): Promise<void> {
    const { signal } = controller;
    let counted: CountedTurn | undefined;
    const totals = { promptTokens: 0, completionTokens: 0 };
    let reason: 'stopped' | 'max_steps' | 'error' | undefined;
    try {
      const settings = await assistant.settings();
      // Counted before anything is made: a refused message leaves no empty conversation behind.
      counted = await assistant.countTurn(ctx, env, current, settings);
      const fresh = !current;
      if (!current) current = (await assistant.create(ctx, env.id)).id;
      const conversationId = current;
      const earlier = (await assistant.history(conversationId)).map((row) => (row.content as StoredMessage).message);
      const messages: ChatCompletionMessageParam[] = [systemPrompt(env), ...earlier];
      const keep = async (...items: StoredMessage[]) => {
        messages.push(...items.map((i) => i.message));
        await assistant.append(conversationId, items, earlier.length === 0 ? text : undefined);
      };
      await keep({ message: { role: 'user', content: text } });
      if (fresh) await sendList();

      reason = 'max_steps';
      for (let step = 0; step < deps.maxSteps; step++) {
        const result = await streamStep(settings.provider, messages, toolbox.definitions, signal, {
          startText: () => send({ type: 'start_text' }),
          text: (content) => send({ type: 'text', content }),
          finishText: () => send({ type: 'finish_text' }),
        });
        totals.promptTokens += result.promptTokens;
        totals.completionTokens += result.completionTokens;
        if (result.text || result.toolCalls.length) await keep({ message: assistantMessage(result) });
        if (result.toolCalls.length === 0) {
          reason = signal.aborted ? 'stopped' : undefined;
          break;
        }
        await runTools(result, signal, keep);
        if (signal.aborted) {
          reason = 'stopped';
          break;
        }
      }
    } catch (err) {
      reason = signal.aborted ? 'stopped' : 'error';
      if (!signal.aborted) fail(err);
    }
    await finish(counted, totals, reason);
  }

  async function runTools(result: StepResult, signal: AbortSignal, keep: (...items: StoredMessage[]) => Promise<void>): Promise<void> {
    for (const call of result.toolCalls) {
      // Every call gets an answer, even unrun ones: the provider refuses a history with a call left open.
      if (signal.aborted) {
        await keep({ message: { role: 'tool', tool_call_id: call.id, content: STOPPED_BEFORE_RUN } });
        continue;
      }
      send({ type: 'tool_call', id: call.id, name: call.name, args: call.args });
      const out = await toolbox.run(call.name, call.args, signal).catch((err: unknown) => {
        if (signal.aborted) return { output: 'Stopped by the user', truncated: false };
        throw err;
      });
      send({ type: 'tool_result', id: call.id, output: out.output, truncated: out.truncated });
      const content = out.truncated ? `${out.output}\n[output truncated]` : out.output;
      await keep({ message: { role: 'tool', tool_call_id: call.id, content }, truncated: out.truncated });
    }
  }

  /** Settles the turn's count and cost, and says the turn is over. */
  async function finish(counted: CountedTurn | undefined, totals: { promptTokens: number; completionTokens: number }, reason: 'stopped' | 'max_steps' | 'error' | undefined): Promise<void> {
    try {
      if (counted && reason === 'error' && totals.promptTokens + totals.completionTokens === 0) {
        await assistant.refundTurn(counted);
      } else if (counted) {
        const costUsd = await assistant.settleTurn(counted, totals);
        const { left } = await assistant.allowance(ctx.actor!.id, env.orgId);
        send({ type: 'usage', ...totals, costUsd, usesLeftToday: left });
      }
    } catch (err) {
      fail(err);
    }
    send({ type: 'done', stopped: reason === 'stopped', ...(reason ? { reason } : {}) });
  }

  socket.on('message', (data, isBinary) => {
    let parsed: AssistantClientMessage;
    try {
      if (isBinary) throw new Error('binary frame');
      const result = AssistantClientMessageSchema.safeParse(JSON.parse(String(data)));
      if (!result.success) throw new Error(result.error.issues.map((i) => `${i.path.join('.') || 'message'}: ${i.message}`).join('; '));
      parsed = result.data;
    } catch (err) {
      send({ type: 'error', code: 'validation_failed', message: `Not a valid assistant message: ${(err as Error).message}` });
      return;
    }
    // Stop acts at once; everything else in order.
    if ('action' in parsed && parsed.action === 'stop') {
      turn?.abort();
      return;
    }
    queue = queue.then(() => handle(parsed)).catch(fail);
  });
  socket.on('close', () => turn?.abort());
  queue = queue.then(open).catch((err: unknown) => {
    fail(err);
    socket.close(1011, 'internal error');
  });
}

function assistantMessage(result: StepResult): ChatCompletionMessageParam {
  return {
    role: 'assistant',
    content: result.text || null,
    ...(result.toolCalls.length ? { tool_calls: result.toolCalls.map((c) => ({ id: c.id, type: 'function' as const, function: { name: c.name, arguments: c.args } })) } : {}),
  };
}
