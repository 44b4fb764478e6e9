import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult, ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import type { TokenScope } from '@berth/contracts';
import type { FastifyBaseLogger } from 'fastify';
import type { z } from 'zod';
import type { RequestContext } from '../../context.js';
import { BerthError, UnauthorizedError } from '../../errors.js';
import { authorize } from '../auth/authorize.js';

/** How the HTTP route hands the caller's request context to the tools (the SDK's authInfo.extra). */
export const CONTEXT_KEY = 'berthContext';

export interface ToolDefinition<S extends z.ZodObject> {
  /** Written for a model: what it does, when to use it, what it answers. */
  description: string;
  /** The least token scope that may call it, checked by the one authorization function. */
  scope: TokenScope;
  input: S;
  annotations?: ToolAnnotations;
}

export type ToolRun<S extends z.ZodObject> = (ctx: RequestContext, args: z.output<S>, signal: AbortSignal) => Promise<Record<string, unknown>>;

/** A refusal as a model reads it: the stable problem code first, then the detail. */
export function toolError(code: string, detail: string): CallToolResult {
  return { isError: true, content: [{ type: 'text', text: `${code}: ${detail}` }], structuredContent: { code, detail } };
}

function answer(result: Record<string, unknown>): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(result, null, 2) }], structuredContent: result };
}

/**
 * Registers a tool that acts as the caller of the HTTP request that carried
 * the call: its token's scope is checked here, and everything else (who may
 * see what, quotas, audit rows) by the services it calls, as for the HTTP API.
 * Berth's refusals come back as tool errors naming their problem code, which a
 * model can act on; anything else is logged and answered without details.
 */
export function addTool<S extends z.ZodObject>(server: McpServer, log: FastifyBaseLogger, name: string, def: ToolDefinition<S>, run: ToolRun<S>): void {
  // Registered with the plain object type: the SDK's conditional argument type cannot see through `S`.
  const input: z.ZodObject = def.input;
  server.registerTool<z.ZodObject, z.ZodObject>(name, { description: def.description, inputSchema: input, annotations: def.annotations }, async (args, extra) => {
    const ctx = extra.authInfo?.extra?.[CONTEXT_KEY] as RequestContext | undefined;
    try {
      if (!ctx) throw new UnauthorizedError();
      authorize(ctx.actor, `scope.${def.scope}`);
      return answer(await run(ctx, args as z.output<S>, extra.signal));
    } catch (err) {
      if (err instanceof BerthError) return toolError(err.code, err.message);
      log.error({ err, tool: name, requestId: ctx?.requestId }, 'MCP tool failed');
      return toolError('internal_error', `The tool failed; the server log has the details (request ${ctx?.requestId ?? 'unknown'})`);
    }
  });
}
