import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { EXEC_DEFAULT_TIMEOUT_MS, EXEC_MAX_TIMEOUT_MS, EnvironmentNameSchema, FILE_MAX_BYTES, IdSchema, MachineTypeNameSchema, type Environment } from '@berth/contracts';
import type { FastifyBaseLogger } from 'fastify';
import { z } from 'zod';
import type { RequestContext } from '../../context.js';
import type { EventBus } from '../../control/event-bus.js';
import { AppError, NotFoundError } from '../../errors.js';
import type { EnvironmentsService } from '../environments/environments.service.js';
import type { FilesService } from '../files/files.service.js';
import type { MachineTypesService } from '../machine-types/machine-types.service.js';
import type { PreviewsService } from '../previews/previews.service.js';
import type { TemplatesService } from '../templates/templates.service.js';
import { asText } from './mcp.domain.js';
import type { McpProcesses } from './mcp.processes.js';
import { addTool } from './mcp.tool.js';
import { untilRunning } from './mcp.wait.js';
import type { RuntimeClasses } from '../nodes/runtime-classes.js';

export interface McpToolDeps {
  environments: Pick<EnvironmentsService, 'list' | 'create' | 'get' | 'exec' | 'lifecycle'>;
  machineTypes: Pick<MachineTypesService, 'list'>;
  templates: Pick<TemplatesService, 'list'>;
  files: Pick<FilesService, 'list' | 'read' | 'write'>;
  previews: Pick<PreviewsService, 'listPorts' | 'address'>;
  processes: Pick<McpProcesses, 'start' | 'status'>;
  bus: Pick<EventBus, 'subscribe'>;
  /** What run_code's throwaway environments run under (sandboxed where the engine offers it). */
  runtimeClasses: Pick<RuntimeClasses, 'forUntrusted'>;
  /** How long create_environment and run_code wait for an environment to run, unless told otherwise. */
  readyTimeoutMs: number;
  log: FastifyBaseLogger;
}

/** The longest a create_environment call may be told to wait (a tool call holds its HTTP request open). */
export const MAX_READY_WAIT_SECONDS = 600;
/** Files one write_files call may write. */
export const MAX_FILES_PER_WRITE = 100;

const environmentArg = z.string().min(1).max(200).describe('The environment: its id (from list_environments or create_environment) or its name');
const pathArg = z.string().max(4096);
const timeoutArg = z.number().int().min(1).max(EXEC_MAX_TIMEOUT_MS / 1000);

/** What a model needs of an environment (the API's full shape is for programs). */
export const briefEnvironment = (env: Environment) => ({
  id: env.id,
  name: env.name,
  status: env.status,
  desiredState: env.desiredState,
  type: env.type,
  owner: env.owner.username,
  lastError: env.lastError,
  errorCode: env.errorCode,
  createdAt: env.createdAt,
});

export function registerMcpTools(server: McpServer, deps: McpToolDeps): void {
  const { environments, files, log } = deps;

  /** An environment named by id or by name, among those the caller sees (else not found, as for an id). */
  async function resolve(ctx: RequestContext, environment: string): Promise<string> {
    if (IdSchema.safeParse(environment).success) return environment;
    const found = (await environments.list(ctx, false)).find((e) => e.name === environment);
    if (!found) throw new NotFoundError(`Environment "${environment}"`);
    return found.id;
  }

  addTool(server, log, 'list_machine_types', {
    description: 'List the machine types you may create environments of (name, vCPUs, memory, disk, credits per hour). Use a name as `type` in create_environment.',
    scope: 'read',
    input: z.strictObject({}),
    annotations: { readOnlyHint: true },
  }, async (ctx) => ({ items: (await deps.machineTypes.list(ctx)).map(({ name, vcpus, memoryMb, diskGib, creditsCost }) => ({ name, vcpus, memoryMb, diskGib, creditsCost })) }));

  addTool(server, log, 'list_environments', {
    description: 'List the environments (Linux containers with a persistent /workspace) you can see, with their id, name and status (pending, starting, running, stopping, stopped, error).',
    scope: 'read',
    input: z.strictObject({}),
    annotations: { readOnlyHint: true },
  }, async (ctx) => ({ items: (await environments.list(ctx, false)).map(briefEnvironment) }));

  addTool(server, log, 'create_environment', {
    description:
      'Create an environment and wait until it runs (or until the wait ends: then it keeps starting, check it with list_environments). ' +
      'Costs credits while it runs; stop_environment or delete_environment it when you are done. Answers the environment with its id.',
    scope: 'admin',
    input: z.strictObject({
      type: MachineTypeNameSchema.describe('Machine type name, from list_machine_types (e.g. "small")'),
      name: EnvironmentNameSchema.optional().describe('A name of your own; omitted, a random one'),
      template: z.string().min(1).max(200).optional().describe('A template (id or slug) whose files are written into /workspace when it first runs'),
      waitSeconds: z.number().int().min(0).max(MAX_READY_WAIT_SECONDS).optional().describe(`How long to wait for it to run (default ${deps.readyTimeoutMs / 1000})`),
    }),
  }, async (ctx, args, signal) => {
    const templateId = args.template === undefined ? undefined : await templateIdOf(ctx, args.template);
    const created = await environments.create(ctx, { type: args.type, name: args.name, templateId });
    const { env, state } = await untilRunning(deps, ctx, created.id, (args.waitSeconds ?? deps.readyTimeoutMs / 1000) * 1000, signal);
    if (state === 'error') throw new AppError('conflict', `Environment ${env.id} failed to start: ${env.lastError ?? 'unknown error'}`);
    const notes = { running: 'It runs.', stopped: `It was asked to ${env.desiredState === 'deleted' ? 'be deleted' : 'stop'} while starting.`, timeout: `Still ${env.status} when the wait ended: check it with list_environments.` };
    const note = notes[state];
    return { environment: briefEnvironment(env), note };
  });

  async function templateIdOf(ctx: RequestContext, template: string): Promise<string> {
    if (IdSchema.safeParse(template).success) return template;
    const found = (await deps.templates.list(ctx)).find((t) => t.slug === template);
    if (!found) throw new NotFoundError(`Template "${template}"`);
    return found.id;
  }

  addTool(server, log, 'exec', {
    description:
      'Run a shell command (bash -lc) in a running environment, in /workspace unless `cwd` says otherwise. ' +
      'Answers exitCode, stdout and stderr once it ends (killed after `timeoutSeconds`). With background: true it answers at once ' +
      'with a pid and keeps running (servers, long builds): read its output and exit code with process_status.',
    scope: 'exec',
    input: z.strictObject({
      environment: environmentArg,
      command: z.string().min(1).max(65_536).describe('The command line, e.g. "npm test" or "python3 app.py > out.log"'),
      cwd: pathArg.optional().describe('Working directory (default /workspace)'),
      timeoutSeconds: timeoutArg.optional().describe(`Foreground: default ${EXEC_DEFAULT_TIMEOUT_MS / 1000}, at most ${EXEC_MAX_TIMEOUT_MS / 1000}. Background: killed after this long; default never`),
      background: z.boolean().optional().describe('Start it and answer at once with its pid'),
    }),
  }, async (ctx, args, signal) => {
    const id = await resolve(ctx, args.environment);
    const timeoutMs = args.timeoutSeconds === undefined ? undefined : args.timeoutSeconds * 1000;
    if (args.background) return { environment: id, ...(await deps.processes.start(ctx, id, { command: args.command, cwd: args.cwd, timeoutMs })), status: 'running' };
    return { ...(await environments.exec(ctx, id, { command: args.command, cwd: args.cwd, timeoutMs: timeoutMs ?? EXEC_DEFAULT_TIMEOUT_MS }, undefined, signal)) };
  });

  addTool(server, log, 'process_status', {
    description: 'The status (running, exited, killed, timed_out), exit code and output so far (the last bytes of stdout and stderr) of a command started with exec background: true.',
    scope: 'read',
    input: z.strictObject({ environment: environmentArg, pid: z.number().int().min(1).describe('The pid exec answered') }),
    annotations: { readOnlyHint: true },
  }, async (ctx, args) => deps.processes.status(ctx, await resolve(ctx, args.environment), args.pid));

  addTool(server, log, 'read_file', {
    description: `Read a file of a running environment's /workspace (at most ${FILE_MAX_BYTES} bytes). Text comes back as it is; other bytes as base64 (encoding says which).`,
    scope: 'read',
    input: z.strictObject({ environment: environmentArg, path: pathArg.min(1).describe('Relative to /workspace, or absolute under it') }),
    annotations: { readOnlyHint: true },
  }, async (ctx, args) => {
    const { content, etag } = await files.read(ctx, await resolve(ctx, args.environment), args.path);
    return { path: args.path, size: content.length, etag, ...asText(content) };
  });

  addTool(server, log, 'write_files', {
    description: 'Write one or more files into a running environment\'s /workspace, creating folders as needed and replacing files that exist. Written in order; the first failure stops the rest.',
    scope: 'exec',
    input: z.strictObject({
      environment: environmentArg,
      files: z
        .array(
          z.strictObject({
            path: pathArg.min(1).describe('Relative to /workspace, or absolute under it'),
            content: z.string().describe('The whole new content'),
            encoding: z.enum(['utf8', 'base64']).optional().describe('How content is written (default utf8)'),
          }),
        )
        .min(1)
        .max(MAX_FILES_PER_WRITE),
    }),
  }, async (ctx, args) => {
    const id = await resolve(ctx, args.environment);
    const written: { path: string; bytes: number; created: boolean }[] = [];
    for (const file of args.files) {
      const bytes = Buffer.from(file.content, file.encoding ?? 'utf8');
      const { created } = await files.write(ctx, id, file.path, bytes);
      written.push({ path: file.path, bytes: bytes.length, created });
    }
    return { written };
  });

  addTool(server, log, 'list_files', {
    description: 'List a folder of a running environment\'s /workspace: names, types (file, dir, symlink), sizes and modification times.',
    scope: 'read',
    input: z.strictObject({ environment: environmentArg, path: pathArg.optional().describe('Relative to /workspace, or absolute under it (default: /workspace)') }),
    annotations: { readOnlyHint: true },
  }, async (ctx, args) => files.list(ctx, await resolve(ctx, args.environment), args.path ?? ''));

  addTool(server, log, 'get_preview_url', {
    description:
      'The browser URL of a port of a running environment (a web server started with exec background: true, listening on 0.0.0.0). ' +
      'It opens for people signed in to Berth who may use the environment, unless its sharing is public. Says whether something listens there now.',
    scope: 'read',
    input: z.strictObject({ environment: environmentArg, port: z.number().int().min(1).max(65_535).describe('The port the app listens on') }),
    annotations: { readOnlyHint: true },
  }, async (ctx, args) => {
    const id = await resolve(ctx, args.environment);
    const listening = (await deps.previews.listPorts(ctx, id)).find((p) => p.port === args.port);
    const url = listening?.url ?? `${deps.previews.address.origin({ environmentId: id, port: args.port })}/`;
    return { port: args.port, url, listening: Boolean(listening), sharing: listening?.sharing ?? 'owner' };
  });

  addTool(server, log, 'stop_environment', {
    description: 'Stop an environment: its processes end and it stops costing credits; /workspace is kept. It stops in the background.',
    scope: 'exec',
    input: z.strictObject({ environment: environmentArg }),
  }, async (ctx, args) => ({ environment: briefEnvironment(await environments.lifecycle(ctx, await resolve(ctx, args.environment), 'stop')) }));

  addTool(server, log, 'delete_environment', {
    description: 'Delete an environment and its /workspace for good. Cannot be undone: pass confirm: true only when that is what the user wants.',
    scope: 'admin',
    input: z.strictObject({ environment: environmentArg, confirm: z.boolean().optional().describe('Must be true: deleting loses the workspace') }),
    annotations: { destructiveHint: true },
  }, async (ctx, args) => {
    const id = await resolve(ctx, args.environment);
    if (args.confirm !== true) throw new AppError('validation_failed', 'Deleting loses the environment and its /workspace: call again with confirm: true if that is intended');
    return { environment: briefEnvironment(await environments.lifecycle(ctx, id, 'delete')) };
  });

}
