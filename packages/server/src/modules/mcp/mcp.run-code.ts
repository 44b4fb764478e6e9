import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { EXEC_DEFAULT_TIMEOUT_MS, EXEC_MAX_TIMEOUT_MS, MachineTypeNameSchema } from '@berth/contracts';
import { z } from 'zod';
import type { RequestContext } from '../../context.js';
import { AppError, TimedOutError } from '../../errors.js';
import { RUN_CODE_LANGUAGES, runCodePlan } from './mcp.domain.js';
import { addTool } from './mcp.tool.js';
import type { McpToolDeps } from './mcp.tools.js';
import { untilRunning } from './mcp.wait.js';

type Deps = Pick<McpToolDeps, 'environments' | 'machineTypes' | 'files' | 'bus' | 'runtimeClasses' | 'readyTimeoutMs' | 'log'>;

/**
 * run_code: a throwaway environment made for one snippet, run, and deleted
 * whatever happened, through the same services (credits, quotas, audit) as
 * everything else. Its machine type is the cheapest the caller may use unless named; it runs
 * sandboxed (gVisor) where the engine offers it, as code an agent wrote should.
 */
export function registerRunCode(server: McpServer, deps: Deps): void {
  const { environments, log } = deps;

  async function cheapestType(ctx: RequestContext): Promise<string> {
    const [cheapest] = (await deps.machineTypes.list(ctx)).sort((a, b) => a.creditsCost - b.creditsCost);
    if (!cheapest) throw new AppError('machine_type_not_allowed', 'You may not use any machine type');
    return cheapest.name;
  }

  addTool(server, log, 'run_code', {
    description:
      'Run a snippet of code in a fresh, throwaway environment and answer its exitCode, stdout and stderr; the environment is deleted afterwards, ' +
      'so nothing is kept. For work that needs files or state across calls, use create_environment and exec instead. ' +
      'python runs with python3, javascript with node, bash with bash (whatever the machine type\'s image provides).',
    scope: 'exec',
    input: z.strictObject({
      language: z.enum(RUN_CODE_LANGUAGES).describe('python, javascript or bash'),
      code: z.string().min(1).max(1024 * 1024).describe('The whole program'),
      type: MachineTypeNameSchema.optional().describe('Machine type (default: the cheapest you may use)'),
      timeoutSeconds: z.number().int().min(1).max(EXEC_MAX_TIMEOUT_MS / 1000).optional().describe(`How long the code may run (default ${EXEC_DEFAULT_TIMEOUT_MS / 1000})`),
    }),
  }, async (ctx, args, signal) => {
    const plan = runCodePlan(args.language);
    const created = await environments.create(ctx, { type: args.type ?? (await cheapestType(ctx)), runtimeClass: await deps.runtimeClasses.forUntrusted() });
    try {
      const { env, state } = await untilRunning(deps, ctx, created.id, deps.readyTimeoutMs, signal);
      if (state === 'timeout') throw new TimedOutError(`The throwaway environment did not start within ${deps.readyTimeoutMs / 1000} s`);
      if (state !== 'running') throw new AppError('conflict', `The throwaway environment failed to start: ${env.lastError ?? env.status}`);
      await deps.files.write(ctx, created.id, plan.file, Buffer.from(args.code, 'utf8'));
      const result = await environments.exec(ctx, created.id, { command: plan.argv, timeoutMs: (args.timeoutSeconds ?? EXEC_DEFAULT_TIMEOUT_MS / 1000) * 1000 }, undefined, signal);
      return { language: args.language, ...result };
    } finally {
      await environments.lifecycle(ctx, created.id, 'delete').catch((err: unknown) => log.warn({ err, environmentId: created.id }, 'run_code could not delete its environment'));
    }
  });
}
