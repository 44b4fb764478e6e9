import { z } from 'zod';
import { CODE_INTERPRETER_IMAGE } from '../../runtime/docker/images.js';

/**
 * The envd version Berth tells the E2B SDK it speaks. The SDK gates features
 * on it (docs/e2b-protocol.md §5): from 0.4.0 it stops forcing the user "user",
 * from 0.5.2 it may send CloseStdin, from 0.5.7 it streams uploads as
 * octet-stream (gzip too). Below 0.6.2, so it never sends file metadata.
 */
export const ENVD_VERSION = '0.5.7';

/** E2B's default sandbox lifetime when create names none, in seconds. */
export const DEFAULT_TIMEOUT_SECONDS = 300;
/** E2B caps a sandbox's lifetime; so do we (24 h), so a typo cannot hold credits for a month. */
export const MAX_TIMEOUT_SECONDS = 24 * 60 * 60;

/** Where an E2B template id takes a sandbox: a machine type, and an image if not the type's. */
export const TemplateTargetSchema = z.strictObject({
  type: z.string().min(1).max(64),
  image: z.string().min(1).max(256).optional(),
});
export type TemplateTarget = z.infer<typeof TemplateTargetSchema>;

const TemplateIdSchema = z.string().regex(/^[A-Za-z0-9][\w.:/-]{0,127}$/, 'a template id');

/** The `e2b_templates` config flag: E2B template ids to machine types and images. */
export const TemplateMapSchema = z.record(TemplateIdSchema, TemplateTargetSchema);

/** `base` runs the default image; `code-interpreter-v1` (@e2b/code-interpreter's default) Berth's code interpreter image. */
export const DEFAULT_TEMPLATE_MAP = JSON.stringify({ base: { type: 'small' }, 'code-interpreter-v1': { type: 'small', image: CODE_INTERPRETER_IMAGE } });

/** Parses the flag's text; an unusable value maps nothing rather than failing every create. */
export function parseTemplateMap(text: string): Record<string, TemplateTarget> {
  try {
    const parsed = TemplateMapSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : {};
  } catch {
    return {};
  }
}

/**
 * The SDK's metadata filter for list: `k=v` pairs joined by `&`, each key and
 * value URI-encoded, the whole again encoded as one query value (which the
 * query parser already decoded once).
 */
export function parseMetadataFilter(value: string | undefined): Record<string, string> {
  if (!value) return {};
  const filter: Record<string, string> = {};
  for (const [key, val] of new URLSearchParams(value)) filter[safeDecode(key)] = safeDecode(val);
  return filter;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

export const matchesMetadata = (metadata: Record<string, string>, filter: Record<string, string>): boolean =>
  Object.entries(filter).every(([k, v]) => metadata[k] === v);

/** E2B's two sandbox states: a stopped Berth environment is a paused sandbox (connect resumes it). */
export const sandboxState = (desiredState: string): 'running' | 'paused' => (desiredState === 'running' ? 'running' : 'paused');

/** Seconds on the wire (the SDK rounds up), kept within our cap. */
export const clampTimeout = (seconds: number): number => Math.min(Math.max(Math.ceil(seconds), 0), MAX_TIMEOUT_SECONDS);

/**
 * How a process ended, in envd's words: a signal (we killed it) reads as
 * exit code -1 and "signal: killed"; anything but a clean exit carries an
 * error, which the SDK makes the message of CommandExitError. Without an exit
 * code, `lost` says why (another signal, or a holder gone without word).
 */
export function endEvent(exitCode: number | null, killed: boolean, lost?: string): { exitCode: number; exited: boolean; status: string; error?: string } {
  if (killed) return { exitCode: -1, exited: false, status: 'signal: killed', error: 'signal: killed' };
  const code = exitCode ?? -1;
  const status = `exit status ${code}`;
  if (exitCode === null && lost) return { exitCode: -1, exited: true, status, error: `${status} (${lost})` };
  return code === 0 ? { exitCode: 0, exited: true, status } : { exitCode: code, exited: true, status, error: status };
}

/**
 * The users a sandbox knows. E2B's are "user" (the default) and "root"; a
 * Berth environment runs everything as its container's one user, with
 * /workspace as home, so both names are accepted and mean that user.
 */
export const SANDBOX_USERS = ['user', 'root'] as const;

/**
 * The user a request acts as: the name in `Authorization: Basic <name:>` (RPCs)
 * or `?username=` (/files); the default when neither is given; null for a
 * user the sandbox does not have.
 */
export function sandboxUser(authorization: string | undefined, username: string | undefined): string | null {
  let name = username;
  const basic = authorization && /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization);
  if (basic) name = Buffer.from(basic[1]!, 'base64').toString('utf8').split(':')[0];
  if (name === undefined || name === '') return 'user';
  return (SANDBOX_USERS as readonly string[]).includes(name) ? name : null;
}
