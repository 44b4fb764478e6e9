import { ASSISTANT_USAGE_MAX_DAYS, type AssistantConversation, type AssistantMessage, type AssistantUsageRow } from '@berth/contracts';
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { requireActor, type RequestContext } from '../../context.js';
import type { Db } from '../../db/client.js';
import { AppError, ForbiddenError, NotFoundError } from '../../errors.js';
import type { AuditRecord, AuditService } from '../audit/audit.service.js';
import { authorize } from '../auth/authorize.js';
import type { ConfigService } from '../config/config.service.js';
import type { OrgsService } from '../orgs/orgs.service.js';
import type { UsersRepo } from '../users/users.repo.js';
import { costUsd, parsePrice, startOfUtcDay, titleFrom, usesPerDay, type Prices } from './assistant.domain.js';
import type { ProviderSettings } from './assistant.provider.js';
import type { AssistantRepo, ConversationRow, MessageRow } from './assistant.repo.js';

interface Deps {
  db: Db;
  assistantRepo: AssistantRepo;
  usersRepo: Pick<UsersRepo, 'findByUsername'>;
  config: Pick<ConfigService, 'value'>;
  audit: Pick<AuditService, 'mutate'>;
  orgs: Pick<OrgsService, 'standing'>;
  providerTimeoutMs: number;
}

/** A message as stored: what the provider is sent again, and for a tool result whether it was cut. */
export interface StoredMessage {
  message: ChatCompletionMessageParam;
  truncated?: boolean;
}

/** The provider and prices a turn runs with, read when it starts. */
export interface TurnSettings {
  provider: ProviderSettings;
  prices: Prices;
}

/** Where a user stands with the daily limit in an organization. */
export interface Allowance {
  usesPerDay: number;
  usedToday: number;
  left: number;
}

/** A turn that was counted: its usage row, to fill in with tokens and cost when it ends. */
export interface CountedTurn {
  usageId: string;
  prices: Prices;
}

const conversationRecord = (c: { id: string; environmentId: string }) => ({ targetType: 'assistant_conversation', targetId: c.id, metadata: { environmentId: c.environmentId } });

const toConversation = (c: ConversationRow): AssistantConversation => ({ id: c.id, title: c.title, createdAt: c.createdAt.toISOString(), updatedAt: c.updatedAt.toISOString() });

/** A stored message as a client shows it again. */
export function toMessage(row: MessageRow): AssistantMessage {
  const { message } = row.content as StoredMessage;
  const text = typeof message.content === 'string' ? message.content : Array.isArray(message.content) ? message.content.map((p) => ('text' in p ? p.text : '')).join('') : '';
  const base = { seq: row.seq, role: row.role, content: text };
  if (message.role === 'assistant' && message.tool_calls?.length) {
    return { ...base, toolCalls: message.tool_calls.map((c) => ({ id: c.id, name: c.type === 'function' ? c.function.name : c.custom.name, args: c.type === 'function' ? c.function.arguments : c.custom.input })) };
  }
  if (message.role === 'tool') return { ...base, toolCallId: message.tool_call_id };
  return base;
}

/**
 * Conversations with the assistant (one user's, per environment), the daily
 * limit and the usage log. Every change is audited; the log outlives
 * environments, so deleting one gives no requests back.
 */
export function createAssistantService(deps: Deps) {
  const { db, assistantRepo: repo, audit } = deps;

  /** The provider to use, or 503 assistant_unavailable while an admin has not set one up. */
  async function settings(): Promise<TurnSettings> {
    const [url, key, model, input, output] = await Promise.all(
      (['ai_api_url', 'ai_api_key', 'ai_model', 'ai_token_input_price', 'ai_token_output_price'] as const).map((name) => deps.config.value(name)),
    );
    if (!url || !key) {
      throw new AppError('assistant_unavailable', 'The AI assistant is not configured: an administrator sets ai_api_url and ai_api_key (PUT /api/v1/config/{name})');
    }
    return { provider: { baseURL: url, apiKey: key, model: model!, timeoutMs: deps.providerTimeoutMs }, prices: { input: parsePrice(input!), output: parsePrice(output!) } };
  }

  async function allowanceIn(tx: Db, userId: string, orgId: string): Promise<Allowance> {
    const limits = await repo.limits(tx, userId, orgId);
    const perDay = limits ? usesPerDay(limits) : 0;
    const usedToday = await repo.usesSince(tx, userId, orgId, startOfUtcDay(new Date()));
    return { usesPerDay: perDay, usedToday, left: Math.max(0, perDay - usedToday) };
  }

  const allowance = (userId: string, orgId: string) => allowanceIn(db, userId, orgId);

  /**
   * Counts a turn against the caller's daily limit in the environment's
   * organization (429 assistant_limit when it is used up): the usage row is
   * written now, with its audit row, and its tokens when the turn ends.
   */
  async function countTurn(ctx: RequestContext, env: { id: string; orgId: string }, conversationId: string | null, turn: TurnSettings): Promise<CountedTurn> {
    const actor = requireActor(ctx);
    const rec = { targetType: 'environment', targetId: env.id, orgId: env.orgId, metadata: { conversationId, model: turn.provider.model } };
    const usageId = await audit.mutate(ctx, 'assistant.turn', rec, async (tx) => {
      await repo.lockUser(tx, actor.id, env.orgId);
      const now = await allowanceIn(tx, actor.id, env.orgId);
      if (now.left <= 0) throw new AppError('assistant_limit', `You have used your ${now.usesPerDay} assistant requests for today (UTC); ask an organization admin for more`);
      return repo.logUsage(tx, {
        userId: actor.id,
        orgId: env.orgId,
        environmentId: env.id,
        model: turn.provider.model,
        inputPrice: String(turn.prices.input),
        outputPrice: String(turn.prices.output),
        costUsd: '0',
      });
    });
    return { usageId, prices: turn.prices };
  }

  /** The turn's tokens and what they cost at the prices it started with. */
  async function settleTurn(turn: CountedTurn, tokens: { promptTokens: number; completionTokens: number }): Promise<number> {
    const cost = costUsd(tokens.promptTokens, tokens.completionTokens, turn.prices);
    await repo.setUsageTokens(db, turn.usageId, { ...tokens, costUsd: String(cost) });
    return cost;
  }

  /** A turn the provider failed before using any tokens is not counted. */
  async function refundTurn(turn: CountedTurn): Promise<void> {
    await repo.deleteUsage(db, turn.usageId);
  }

  async function conversations(ctx: RequestContext, environmentId: string): Promise<AssistantConversation[]> {
    return (await repo.conversations(db, requireActor(ctx).id, environmentId)).map(toConversation);
  }

  /** The caller's conversation about this environment, or 404: another's does not exist for them. */
  async function conversation(ctx: RequestContext, environmentId: string, id: string): Promise<AssistantConversation> {
    const row = await repo.conversation(db, id, requireActor(ctx).id, environmentId);
    if (!row) throw new NotFoundError('Conversation');
    return toConversation(row);
  }

  async function create(ctx: RequestContext, environmentId: string): Promise<AssistantConversation> {
    const actor = requireActor(ctx);
    const rec: AuditRecord = { targetType: 'assistant_conversation', metadata: { environmentId } };
    const row = await audit.mutate(ctx, 'assistant.conversation.create', rec, async (tx, r) => {
      const created = await repo.createConversation(tx, { userId: actor.id, environmentId });
      r.targetId = created.id;
      return created;
    });
    return toConversation(row);
  }

  async function remove(ctx: RequestContext, environmentId: string, id: string): Promise<void> {
    const actor = requireActor(ctx);
    await audit.mutate(ctx, 'assistant.conversation.delete', conversationRecord({ id, environmentId }), async (tx) => {
      if (!(await repo.conversation(tx, id, actor.id, environmentId))) throw new NotFoundError('Conversation');
      await repo.deleteConversation(tx, id);
    });
  }

  async function clear(ctx: RequestContext, environmentId: string, id: string): Promise<void> {
    const actor = requireActor(ctx);
    await audit.mutate(ctx, 'assistant.conversation.clear', conversationRecord({ id, environmentId }), async (tx, rec) => {
      if (!(await repo.conversation(tx, id, actor.id, environmentId))) throw new NotFoundError('Conversation');
      rec.metadata = { ...rec.metadata, messages: await repo.clear(tx, id) };
    });
  }

  async function history(conversationId: string): Promise<MessageRow[]> {
    return repo.messages(db, conversationId);
  }

  /** Stores a turn's new messages (the conversation is the caller's: the socket checked it). */
  async function append(conversationId: string, items: StoredMessage[], firstUserText?: string): Promise<void> {
    await repo.append(
      db,
      conversationId,
      items.map((item) => ({ role: item.message.role as MessageRow['role'], content: item })),
      firstUserText ? titleFrom(firstUserText) : undefined,
    );
  }

  // Usage reports and limits

  const since = (days: number) => new Date(startOfUtcDay(new Date()).getTime() - (Math.min(days, ASSISTANT_USAGE_MAX_DAYS) - 1) * 86_400_000);

  const toRows = (rows: Awaited<ReturnType<AssistantRepo['usage']>>): AssistantUsageRow[] =>
    rows.map((r) => ({ day: r.day, userId: r.userId, username: r.username ?? '(deleted user)', requests: r.requests, promptTokens: r.promptTokens, completionTokens: r.completionTokens, costUsd: Number(r.costUsd) }));

  /** Every organization's usage (instance admins). */
  async function usage(ctx: RequestContext, days: number): Promise<{ items: AssistantUsageRow[] }> {
    authorize(ctx.actor, 'assistant.usage');
    return { items: toRows(await repo.usage(db, since(days))) };
  }

  /** One organization's usage (its owners and admins). */
  async function orgUsage(ctx: RequestContext, slug: string, days: number): Promise<{ items: AssistantUsageRow[] }> {
    const { org } = await deps.orgs.standing(ctx.actor, slug, 'org.manage');
    return { items: toRows(await repo.usage(db, since(days), org.id)) };
  }

  /** A member's own daily limit in a shared organization (null: the organization's). */
  async function setMemberLimit(ctx: RequestContext, slug: string, username: string, perDay: number | null): Promise<{ username: string; usesPerDay: number | null }> {
    const { org } = await deps.orgs.standing(ctx.actor, slug, 'org.manage');
    const rec = { targetType: 'organization', targetId: org.id, orgId: org.id, metadata: { org: org.slug, username, usesPerDay: perDay } };
    const name = await audit.mutate(ctx, 'org.member.assistant', rec, async (tx) => {
      if (org.personal) throw new ForbiddenError("A personal organization's assistant limit is its user's quota; an administrator changes it");
      const user = await deps.usersRepo.findByUsername(tx, username);
      if (!user || !(await repo.setMemberLimit(tx, org.id, user.id, perDay))) throw new NotFoundError('Member');
      return user.username;
    });
    return { username: name, usesPerDay: perDay };
  }

  return { settings, allowance, countTurn, settleTurn, refundTurn, conversations, conversation, create, remove, clear, history, append, usage, orgUsage, setMemberLimit };
}

export type AssistantService = ReturnType<typeof createAssistantService>;
