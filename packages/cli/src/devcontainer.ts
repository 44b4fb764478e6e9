import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse, printParseErrorCode, type ParseError } from 'jsonc-parser';

/** What a template is built from: a Dockerfile, and the command to run at each start. */
export interface TemplateSource {
  dockerfile: string;
  startCommand?: string;
  /** What of the source Berth does not use, to say so. */
  notes: string[];
}

/** Marks a workspace whose postCreateCommand has run, so it runs once (it persists with the workspace). */
const POST_CREATE_DONE = '/workspace/.berth-post-create-done';

interface Devcontainer {
  image?: unknown;
  build?: { dockerfile?: unknown };
  containerEnv?: unknown;
  postCreateCommand?: unknown;
  forwardPorts?: unknown;
}

/**
 * A template from a folder: its Dockerfile, or else the subset of `.devcontainer/devcontainer.json`
 * (or `.devcontainer.json`) Berth takes: `image` or `build.dockerfile`, `containerEnv` (ENV lines),
 * `postCreateCommand` (run once, at the first start) and `forwardPorts` (nothing to do: every
 * port has a preview). Throws with a message for its user when the folder has neither.
 */
export async function templateSource(dir: string): Promise<TemplateSource> {
  const dockerfile = await readFile(path.join(dir, 'Dockerfile'), 'utf8').catch(() => undefined);
  if (dockerfile !== undefined) return { dockerfile, notes: [] };
  for (const file of [path.join(dir, '.devcontainer', 'devcontainer.json'), path.join(dir, '.devcontainer.json')]) {
    const text = await readFile(file, 'utf8').catch(() => undefined);
    if (text !== undefined) return fromDevcontainer(text, (relative) => readFile(path.resolve(path.dirname(file), relative), 'utf8'));
  }
  throw new Error(`no Dockerfile or .devcontainer/devcontainer.json in ${dir}`);
}

/** The template a devcontainer.json (JSON with comments) describes; `read` reads a file next to it. */
export async function fromDevcontainer(text: string, read: (relative: string) => Promise<string>): Promise<TemplateSource> {
  const errors: ParseError[] = [];
  const spec = parse(text, errors, { allowTrailingComma: true }) as Devcontainer | undefined;
  if (errors.length > 0 || typeof spec !== 'object' || spec === null) {
    throw new Error(`devcontainer.json is not valid JSON: ${errors.map((e) => `${printParseErrorCode(e.error)} at offset ${e.offset}`).join(', ') || 'not an object'}`);
  }
  const notes: string[] = [];
  let dockerfile: string;
  if (typeof spec.build?.dockerfile === 'string') {
    dockerfile = await read(spec.build.dockerfile).catch(() => {
      throw new Error(`devcontainer.json names the Dockerfile ${spec.build!.dockerfile as string}, which is not there`);
    });
    notes.push('build.dockerfile: built from the Dockerfile alone (no context: COPY and ADD find nothing)');
  } else if (typeof spec.image === 'string') {
    dockerfile = `FROM ${spec.image}\n`;
  } else {
    throw new Error('devcontainer.json has neither "image" nor "build.dockerfile"');
  }
  if (spec.containerEnv && typeof spec.containerEnv === 'object') {
    const env = Object.entries(spec.containerEnv as Record<string, unknown>).filter((e): e is [string, string] => typeof e[1] === 'string');
    if (env.length > 0) dockerfile = `${dockerfile.trimEnd()}\n${env.map(([k, v]) => `ENV ${JSON.stringify(k)}=${JSON.stringify(v)}`).join('\n')}\n`;
  }
  const postCreate = Array.isArray(spec.postCreateCommand) ? spec.postCreateCommand.map((a) => `'${String(a).replaceAll("'", "'\\''")}'`).join(' ') : spec.postCreateCommand;
  const startCommand = typeof postCreate === 'string' && postCreate.trim() ? `[ -e ${POST_CREATE_DONE} ] || { ${postCreate}; } && touch ${POST_CREATE_DONE}` : undefined;
  if (Array.isArray(spec.forwardPorts) && spec.forwardPorts.length > 0) notes.push(`forwardPorts ${spec.forwardPorts.join(', ')}: every port has a preview in Berth, nothing to forward`);
  return { dockerfile, ...(startCommand ? { startCommand } : {}), notes };
}
