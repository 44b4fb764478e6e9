import type { ChatCompletionTool } from 'openai/resources/chat/completions';
import { z } from 'zod';
import { requireActor, type RequestContext } from '../../context.js';
import { AppError } from '../../errors.js';
import type { AuditService } from '../audit/audit.service.js';
import type { EnvdProcesses } from '../e2b/envd.processes.js';
import type { EnvironmentsService } from '../environments/environments.service.js';
import type { FilesService } from '../files/files.service.js';
import type { PreviewsService } from '../previews/previews.service.js';
import { capText, exactEdit, globToRegExp, lineRange } from './assistant.domain.js';

export interface ToolDeps {
  environments: Pick<EnvironmentsService, 'exec' | 'running'>;
  files: Pick<FilesService, 'read' | 'write' | 'list' | 'search' | 'resolve'>;
  processes: Pick<EnvdProcesses, 'start' | 'kill'>;
  previews: Pick<PreviewsService, 'listPorts' | 'address'>;
  audit: Pick<AuditService, 'record'>;
  limits: { toolOutputBytes: number; bashTimeoutMs: number };
}

/** What a tool gave back to the model. */
export interface ToolOutput {
  output: string;
  truncated: boolean;
}

const READ_DEFAULT_LINES = 2000;
const LIST_MAX_FILES = 5000;
/** Output kept per background process for `process output` (its tail). */
const BACKGROUND_KEEP_BYTES = 256 * 1024;

const Args = {
  read: z.object({ path: z.string().min(1), offset: z.number().int().min(1).optional(), limit: z.number().int().min(1).max(100_000).optional() }),
  write: z.object({ path: z.string().min(1), content: z.string() }),
  edit: z.object({ path: z.string().min(1), old_text: z.string(), new_text: z.string() }),
  list: z.object({ path: z.string().optional() }),
  glob: z.object({ pattern: z.string().min(1), path: z.string().optional() }),
  grep: z.object({ pattern: z.string().min(1), path: z.string().optional() }),
  bash: z.object({ command: z.string().min(1), background: z.boolean().optional(), timeout_seconds: z.number().int().min(1).optional() }),
  process: z.object({ action: z.enum(['status', 'output', 'kill']), handle: z.number().int() }),
  ports: z.object({}),
  preview_url: z.object({ port: z.number().int().min(1).max(65_535) }),
} as const;

type ToolName = keyof typeof Args;

const fn = (name: ToolName, description: string, properties: Record<string, unknown>, required: string[] = []): ChatCompletionTool => ({
  type: 'function',
  function: { name, description, parameters: { type: 'object', properties, required, additionalProperties: false } },
});
const str = (description: string) => ({ type: 'string', description });
const int = (description: string) => ({ type: 'integer', description });

/** The tools as the model is told of them. None names an environment: every one acts on the conversation's. */
export const TOOL_DEFINITIONS: ChatCompletionTool[] = [
  fn('read', 'Read a text file of the workspace, with line numbers; offset/limit select lines (1-based)', { path: str('Path under /workspace'), offset: int('First line'), limit: int('How many lines') }, ['path']),
  fn('write', 'Create or replace a file with the given content', { path: str('Path under /workspace'), content: str('The whole new content') }, ['path', 'content']),
  fn('edit', 'Replace old_text with new_text in a file; old_text must occur exactly once', { path: str('Path under /workspace'), old_text: str('Exact text to replace'), new_text: str('Replacement') }, ['path', 'old_text', 'new_text']),
  fn('list', 'List a folder of the workspace', { path: str('Folder under /workspace (default: /workspace)') }),
  fn('glob', 'Find files whose workspace-relative path matches a glob (*, **, ?)', { pattern: str('e.g. src/**/*.ts'), path: str('Folder to search (default: /workspace)') }, ['pattern']),
  fn('grep', 'Search file contents for a fixed string; answers path:line:text', { pattern: str('Text to find'), path: str('Folder to search (default: /workspace)') }, ['pattern']),
  fn('bash', 'Run a shell command in /workspace. Foreground runs have a time limit; background: true starts it and returns a handle for the process tool', {
    command: str('The command line'),
    background: { type: 'boolean', description: 'Start it and return at once (servers, watchers)' },
    timeout_seconds: int('Foreground time limit (capped by the server)'),
  }, ['command']),
  fn('process', 'Status, output so far, or kill of a background command started with bash', { action: { type: 'string', enum: ['status', 'output', 'kill'] }, handle: int('The handle bash returned') }, ['action', 'handle']),
  fn('ports', 'List the TCP ports listening in the environment, with their preview URLs', {}),
  fn('preview_url', 'The preview URL of a port of the environment (the user opens it signed in)', { port: int('TCP port') }, ['port']),
];

interface Background {
  output: string;
  exitCode: number | null;
  running: boolean;
}

/**
 * Runs tools for one socket: bound to its request context and environment, so
 * every call goes through the services' own authorization, audit and limits as
 * the user's would, and the model has no way to name another environment.
 */
export function createToolbox(deps: ToolDeps, ctx: RequestContext, environmentId: string) {
  const background = new Map<number, Background>();
  const cap = (text: string, alreadyTruncated = false): ToolOutput => {
    const capped = capText(text, deps.limits.toolOutputBytes);
    return { output: capped.text, truncated: capped.truncated || alreadyTruncated };
  };

  async function read(a: z.infer<typeof Args.read>): Promise<ToolOutput> {
    const { content } = await deps.files.read(ctx, environmentId, a.path);
    const range = lineRange(content.toString('utf8'), a.offset ?? 1, a.limit ?? READ_DEFAULT_LINES);
    return cap(range.more ? `${range.text}\n[${range.total} lines in all; read on with offset]` : range.text);
  }

  async function edit(a: z.infer<typeof Args.edit>): Promise<ToolOutput> {
    const { content, etag } = await deps.files.read(ctx, environmentId, a.path);
    const outcome = exactEdit(content.toString('utf8'), a.old_text, a.new_text);
    if (!outcome.ok) return cap(`Not edited: ${outcome.reason}`);
    // If-Match: a change made meanwhile (the user in the editor) is refused, not overwritten.
    await deps.files.write(ctx, environmentId, a.path, Buffer.from(outcome.content, 'utf8'), etag);
    return cap(`Edited ${a.path}`);
  }

  async function glob(a: z.infer<typeof Args.glob>): Promise<ToolOutput> {
    await deps.environments.running(ctx, environmentId);
    const dir = await deps.files.resolve(environmentId, a.path ?? '/workspace');
    const found = await deps.environments.exec(ctx, environmentId, { command: ['find', dir, '-type', 'f'], timeoutMs: deps.limits.bashTimeoutMs });
    const re = globToRegExp(a.pattern);
    const prefix = dir.endsWith('/') ? dir : `${dir}/`;
    const matches = found.stdout.split('\n').filter((p) => p.startsWith(prefix) && re.test(p.slice(prefix.length))).slice(0, LIST_MAX_FILES);
    return cap(matches.length ? matches.join('\n') : 'No files match', found.truncated);
  }

  async function bash(a: z.infer<typeof Args.bash>, signal: AbortSignal): Promise<ToolOutput> {
    if (a.background) return startBackground(a.command);
    const timeoutMs = Math.min((a.timeout_seconds ?? Infinity) * 1000, deps.limits.bashTimeoutMs);
    const result = await deps.environments.exec(ctx, environmentId, { command: a.command, timeoutMs }, undefined, signal);
    const status = result.timedOut ? `timed out after ${timeoutMs / 1000} s` : `exit code ${result.exitCode}`;
    return cap(`${status}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`, result.truncated);
  }

  async function startBackground(command: string): Promise<ToolOutput> {
    const actor = requireActor(ctx);
    await deps.environments.running(ctx, environmentId);
    const entry: Background = { output: '', exitCode: null, running: true };
    const pid = await deps.processes.start(environmentId, {
      ownerId: actor.id,
      tag: undefined,
      config: { cmd: 'bash', args: ['-lc', command], envs: {}, cwd: '/workspace' },
      stdin: false,
      listener: (event) => {
        if ('data' in event) {
          const chunk = 'stdout' in event.data ? event.data.stdout : 'stderr' in event.data ? event.data.stderr : event.data.pty;
          entry.output = (entry.output + chunk.toString('utf8')).slice(-BACKGROUND_KEEP_BYTES);
        } else if ('end' in event) {
          entry.running = false;
          entry.exitCode = event.end.exitCode ?? null;
        }
      },
    });
    background.set(pid, entry);
    await deps.audit.record(ctx, 'environment.exec', { targetType: 'environment', targetId: environmentId, metadata: { program: 'bash', background: true, via: 'assistant' } }, true);
    return cap(`Started in the background with handle ${pid}`);
  }

  async function processTool(a: z.infer<typeof Args.process>): Promise<ToolOutput> {
    const entry = background.get(a.handle);
    if (!entry) return cap(`No background command with handle ${a.handle} was started in this conversation`);
    const status = entry.running ? 'running' : `exited with code ${entry.exitCode}`;
    if (a.action === 'status') return cap(status);
    if (a.action === 'output') return cap(`${status}\n${entry.output}`);
    if (!entry.running) return cap(`Already ${status}`);
    await deps.processes.kill(environmentId, { pid: a.handle });
    return cap(`Killed ${a.handle}`);
  }

  async function ports(): Promise<ToolOutput> {
    const list = await deps.previews.listPorts(ctx, environmentId);
    return cap(list.length ? list.map((p) => `${p.port}\t${p.url}\t(sharing: ${p.sharing})`).join('\n') : 'Nothing listens on a TCP port');
  }

  async function previewUrl(a: z.infer<typeof Args.preview_url>): Promise<ToolOutput> {
    await deps.environments.running(ctx, environmentId);
    return cap(`${deps.previews.address.origin({ environmentId, port: a.port })}/`);
  }

  async function dispatch(name: ToolName, args: unknown, signal: AbortSignal): Promise<ToolOutput> {
    switch (name) {
      case 'read':
        return read(Args.read.parse(args));
      case 'write': {
        const a = Args.write.parse(args);
        const { created } = await deps.files.write(ctx, environmentId, a.path, Buffer.from(a.content, 'utf8'));
        return cap(`${created ? 'Created' : 'Replaced'} ${a.path} (${Buffer.byteLength(a.content)} bytes)`);
      }
      case 'edit':
        return edit(Args.edit.parse(args));
      case 'list': {
        const listed = await deps.files.list(ctx, environmentId, Args.list.parse(args).path ?? '/workspace');
        return cap(listed.items.map((i) => `${i.type === 'dir' ? 'd' : '-'} ${i.size}\t${i.path}`).join('\n') || '(empty)');
      }
      case 'glob':
        return glob(Args.glob.parse(args));
      case 'grep': {
        const a = Args.grep.parse(args);
        const found = await deps.files.search(ctx, environmentId, a.pattern, a.path ?? '/workspace', 200);
        return cap(found.items.map((m) => `${m.path}:${m.line}:${m.text}`).join('\n') || 'No matches', found.truncated);
      }
      case 'bash':
        return bash(Args.bash.parse(args), signal);
      case 'process':
        return processTool(Args.process.parse(args));
      case 'ports':
        return ports();
      case 'preview_url':
        return previewUrl(Args.preview_url.parse(args));
    }
  }

  /** Runs a call the model made; a refusal or a bad argument is an answer for the model, not a failure of the turn. */
  async function run(name: string, argsText: string, signal: AbortSignal): Promise<ToolOutput> {
    if (!(name in Args)) return cap(`Unknown tool "${name}"`);
    let args: unknown;
    try {
      args = argsText.trim() === '' ? {} : JSON.parse(argsText);
    } catch {
      return cap('The arguments are not valid JSON');
    }
    try {
      return await dispatch(name as ToolName, args, signal);
    } catch (err) {
      if (err instanceof z.ZodError) return cap(`Invalid arguments: ${err.issues.map((i) => `${i.path.join('.') || 'arguments'}: ${i.message}`).join('; ')}`);
      if (err instanceof AppError) return cap(`Refused (${err.code}): ${err.message}`);
      throw err;
    }
  }

  return { run, definitions: TOOL_DEFINITIONS };
}

export type Toolbox = ReturnType<typeof createToolbox>;
