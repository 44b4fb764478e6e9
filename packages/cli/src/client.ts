import { createClient, type BerthClient } from '@berth/client';
import type {
  ChangePasswordBody,
  CreatedInvitation,
  CreateEnvironmentBody,
  CreateInvitationBody,
  CreateOrgBody,
  CreateTokenBody,
  EnvironmentEvent,
  ExecBody,
  ExecStreamLine,
  CreateTemplateBody,
  TemplateBuildEvent,
  UpdateTemplateBody,
  LoginBody,
  LoginResponseSchema,
  Share,
  Team,
} from '@berth/contracts';
import { SESSION_COOKIE_NAMES } from '@berth/contracts';
import WebSocket from 'ws';
import type { z } from 'zod';

export { ApiError, UnreachableError } from '@berth/client';

type LoginResponse = z.infer<typeof LoginResponseSchema>;
export type Lifecycle = 'start' | 'stop' | 'restart';

/**
 * How a request proves who it is: an API token, or (only while signing in) a
 * session cookie plus our Origin, one of the two; with the organization it acts
 * in, when known.
 */
export interface Credentials {
  token?: string;
  cookie?: string;
  org?: string;
}

/** Bytes moved so far, and the total when known. */
export type Progress = (done: number, total: number | undefined) => void;

interface RequestOptions {
  json?: unknown;
  body?: Buffer;
  query?: Record<string, string | number | undefined>;
  headers?: Record<string, string>;
  /** Reports upload progress of `body`. */
  progress?: Progress;
}

const CHUNK = 256 * 1024;

/** A request body handed over in chunks, reporting each as it is read. */
function countedBody(body: Buffer, progress: Progress): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= body.length) return controller.close();
      const chunk = body.subarray(offset, offset + CHUNK);
      offset += chunk.length;
      progress(offset, body.length);
      controller.enqueue(chunk);
    },
  });
}

/** The whole response body, reporting download progress as it arrives. */
async function readCounted(res: Response, progress: Progress | undefined): Promise<Buffer> {
  if (!progress || !res.body) return Buffer.from(await res.arrayBuffer());
  const total = Number(res.headers.get('content-length')) || undefined;
  const chunks: Buffer[] = [];
  let done = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    chunks.push(Buffer.from(chunk));
    done += chunk.length;
    progress(done, total);
  }
  return Buffer.concat(chunks);
}

/**
 * The CLI's view of the API: the typed client (@berth/client) for JSON routes,
 * plus what a terminal program needs besides (progress on big transfers,
 * streamed exec output, WebSockets).
 */
export class ApiClient {
  private readonly http: BerthClient;

  constructor(
    readonly baseUrl: string,
    private readonly credentials: Credentials = {},
  ) {
    const { token, cookie, org } = credentials;
    // Cookie-authenticated changes must come from Berth's own origin (CSRF rule).
    const session: Record<string, string> = cookie && !token ? { cookie, origin: new URL(baseUrl).origin } : {};
    this.http = createClient({ baseUrl, token, org, headers: () => session });
  }

  get call(): BerthClient['call'] {
    return this.http.call;
  }

  url(path: string, query: RequestOptions['query'] = {}): string {
    const url = new URL(`${this.baseUrl}/api/v1${path}`);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v));
    return url.toString();
  }

  /** A raw request: throws ApiError for any non-2xx answer. */
  async request(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const headers: Record<string, string> = { ...options.headers };
    let body: string | Buffer | ReadableStream<Uint8Array> | undefined;
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    } else if (options.body) {
      headers['content-type'] ??= 'application/octet-stream';
      headers['content-length'] = String(options.body.length);
      body = options.progress ? countedBody(options.body, options.progress) : options.body;
    }
    const url = new URL(this.url(path, options.query));
    return this.http.send(method, `${url.pathname}${url.search}`, { body, headers, ...(body instanceof ReadableStream ? { duplex: 'half' as const } : {}) });
  }

  async json<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const res = await this.request(method, path, options);
    return (res.status === 204 ? undefined : await res.json()) as T;
  }

  /** A WebSocket to an API path, authenticated like every other request. */
  socket(path: string, query: RequestOptions['query'] = {}): WebSocket {
    return new WebSocket(this.url(path, query).replace(/^http/, 'ws'), { headers: this.http.headers() });
  }

  // --- auth and tokens -------------------------------------------------------
  /** Signs in with a password and returns the session cookie. */
  async login(body: LoginBody): Promise<{ cookie: string; user: LoginResponse['user'] }> {
    const res = await this.request('POST', '/auth/login', { json: body });
    const names: string[] = Object.values(SESSION_COOKIE_NAMES);
    const cookie = res.headers.getSetCookie().map((c) => c.split(';')[0]!).find((c) => names.includes(c.slice(0, c.indexOf('='))));
    if (!cookie) throw new Error('the server signed us in but sent no session cookie');
    return { cookie, user: ((await res.json()) as LoginResponse).user };
  }
  logout = () => this.call('auth.logout');
  changePassword = (body: ChangePasswordBody) => this.call('me.changePassword', { body });
  me = () => this.call('me.get');
  tokens = async () => (await this.call('tokens.list')).items;
  createToken = (body: CreateTokenBody) => this.call('tokens.create', { body });
  deleteToken = (id: string) => this.call('tokens.revoke', { params: { id } });

  // --- organizations -----------------------------------------------------------
  orgs = async () => (await this.call('orgs.list')).items;
  org = (slug: string) => this.call('orgs.get', { params: { org: slug } });
  createOrg = (body: CreateOrgBody) => this.call('orgs.create', { body });
  deleteOrg = (slug: string) => this.call('orgs.delete', { params: { org: slug } });
  orgLifecycle = (slug: string, op: 'suspend' | 'reactivate') => this.call(op === 'suspend' ? 'orgs.suspend' : 'orgs.reactivate', { params: { org: slug } });
  members = async (slug: string) => (await this.call('orgs.members', { params: { org: slug } })).items;
  removeMember = (slug: string, username: string) => this.call('orgs.removeMember', { params: { org: slug, username } });
  invite = (slug: string, body: Partial<CreateInvitationBody>): Promise<CreatedInvitation> => this.call('orgs.invite', { params: { org: slug }, body });
  myInvitations = async () => (await this.call('invitations.mine')).items;
  acceptInvitation = (id: string) => this.call('invitations.accept', { params: { id } });
  acceptLink = (token: string) => this.call('invitations.acceptLink', { body: { token } });
  teams = async (slug: string) => (await this.call('orgs.teams', { params: { org: slug } })).items;
  createTeam = (slug: string, body: { slug: string; name: string }) => this.call('orgs.createTeam', { params: { org: slug }, body });
  setTeamMember = (slug: string, team: string, username: string, role: Team['members'][number]['role']) =>
    this.call('orgs.setTeamMember', { params: { org: slug, team, username }, body: { role } });
  removeTeamMember = (slug: string, team: string, username: string) => this.call('orgs.removeTeamMember', { params: { org: slug, team, username } });
  share = async (envId: string, teamId: string, level: Share['level']) => (await this.call('shares.set', { params: { id: envId, teamId }, body: { level } })).items;
  unshare = (envId: string, teamId: string) => this.call('shares.remove', { params: { id: envId, teamId } });

  // --- environments ------------------------------------------------------------
  environments = async (all = false) => (await this.call('environments.list', { query: all ? { all: 'true' } : {} })).items;
  environment = (id: string) => this.call('environments.get', { params: { id } });
  createEnvironment = (body: CreateEnvironmentBody) => this.call('environments.create', { body });
  lifecycle = (id: string, action: Lifecycle) => this.call(`environments.${action}`, { params: { id } });
  deleteEnvironment = (id: string) => this.call('environments.delete', { params: { id } });
  events = async (id: string, since = 0): Promise<EnvironmentEvent[]> => (await this.call('environments.events', { params: { id }, query: { since, limit: 1000 } })).items;
  exec = (id: string, body: Partial<ExecBody> & Pick<ExecBody, 'command'>) => this.call('environments.exec', { params: { id }, body });

  /** Runs a command, handing each NDJSON line of its streamed output over as it arrives; returns how it ended. */
  async execStream(id: string, body: Partial<ExecBody> & Pick<ExecBody, 'command'>, onLine: (line: ExecStreamLine) => void): Promise<Extract<ExecStreamLine, { type: 'exit' }>> {
    const res = await this.request('POST', `/environments/${encodeURIComponent(id)}/exec/stream`, { json: body });
    let end: Extract<ExecStreamLine, { type: 'exit' }> | undefined;
    await eachLine<ExecStreamLine>(res, (line) => {
      if (line.type === 'exit') end = line;
      else if (line.type === 'error') throw new Error(`${line.code}: ${line.message}`);
      else onLine(line);
    });
    if (!end) throw new Error('the server closed the output stream before the command ended');
    return end;
  }
  machineTypes = async () => (await this.call('machineTypes.list')).items;
  templates = async () => (await this.call('templates.list')).items;
  createTemplate = (body: CreateTemplateBody) => this.call('templates.create', { body });
  updateTemplate = (id: string, body: UpdateTemplateBody) => this.call('templates.update', { params: { id }, body });
  /** Builds a Dockerfile template's image, handing each NDJSON line over as it arrives; returns how it ended. */
  async buildTemplate(id: string, onLog: (line: string) => void): Promise<Exclude<TemplateBuildEvent, { type: 'log' }>> {
    const res = await this.request('POST', `/templates/${encodeURIComponent(id)}/build`);
    let end: Exclude<TemplateBuildEvent, { type: 'log' }> | undefined;
    await eachLine<TemplateBuildEvent>(res, (event) => (event.type === 'log' ? onLog(event.line) : (end = event)));
    if (!end) throw new Error('the server closed the build stream before the build ended');
    return end;
  }

  // --- files -------------------------------------------------------------------
  readFile = async (id: string, path: string, progress?: Progress) =>
    readCounted(await this.request('GET', `/environments/${encodeURIComponent(id)}/files/content`, { query: { path } }), progress);
  writeFile = (id: string, path: string, body: Buffer, progress?: Progress) =>
    this.json<{ path: string; etag: string }>('PUT', `/environments/${encodeURIComponent(id)}/files/content`, { query: { path }, body, progress });
  downloadArchive = async (id: string, path: string, progress?: Progress) =>
    readCounted(await this.request('GET', `/environments/${encodeURIComponent(id)}/files/archive`, { query: { path, format: 'tar.gz' } }), progress);
  uploadArchive = (id: string, path: string, body: Buffer, progress?: Progress) =>
    this.json<{ entries: number }>('POST', `/environments/${encodeURIComponent(id)}/files/archive`, { query: { path }, body, headers: { 'content-type': 'application/gzip' }, progress });
}

/** Hands each line of an NDJSON answer over, parsed, as it arrives. */
async function eachLine<T>(res: Response, onLine: (line: T) => void): Promise<void> {
  let buffer = '';
  const decoder = new TextDecoder();
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    const lines = buffer.split('\n');
    buffer = lines.pop()!;
    for (const text of lines) if (text) onLine(JSON.parse(text) as T);
  }
}
