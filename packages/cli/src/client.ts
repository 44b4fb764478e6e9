import type {
  ChangePasswordBody,
  CreatedInvitation,
  CreatedToken,
  CreateEnvironmentBody,
  CreateInvitationBody,
  CreateOrgBody,
  CreateTokenBody,
  Environment,
  EnvironmentEvent,
  EnvironmentListSchema,
  EventListSchema,
  ExecBody,
  ExecResult,
  ExecStreamLine,
  Invitation,
  LoginBody,
  LoginResponseSchema,
  MachineTypeListSchema,
  Me,
  Member,
  Organization,
  Problem,
  Share,
  Team,
  TemplateListSchema,
  TokenListSchema,
} from '@berth/contracts';
import { SESSION_COOKIE_NAMES } from '@berth/contracts';
import WebSocket from 'ws';
import type { z } from 'zod';

type EnvironmentList = z.infer<typeof EnvironmentListSchema>;
type EventList = z.infer<typeof EventListSchema>;
type MachineTypeList = z.infer<typeof MachineTypeListSchema>;
type TemplateList = z.infer<typeof TemplateListSchema>;
type TokenList = z.infer<typeof TokenListSchema>;
type LoginResponse = z.infer<typeof LoginResponseSchema>;
export type Lifecycle = 'start' | 'stop' | 'restart';

/** An answer that was not 2xx: the server's problem+json when it sent one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem | undefined,
    message: string,
  ) {
    super(message);
  }

  get code(): string | undefined {
    return this.problem?.code;
  }
}

/** The server could not be reached at all (refused, DNS, TLS…). */
export class UnreachableError extends Error {
  constructor(readonly url: string, cause: unknown) {
    super(`could not reach ${url}: ${describeCause(cause)}`);
  }
}

function describeCause(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err as Error).message;
}

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

/** Names the organization a request acts in: a session acts there, a token made in another is refused (403). */
const ORG_HEADER = 'berth-org';

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

export class ApiClient {
  constructor(
    readonly baseUrl: string,
    private readonly credentials: Credentials = {},
  ) {}

  url(path: string, query: RequestOptions['query'] = {}): string {
    const url = new URL(`${this.baseUrl}/api/v1${path}`);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v));
    return url.toString();
  }

  private authHeaders(method: string): Record<string, string> {
    const { token, cookie, org } = this.credentials;
    const acting: Record<string, string> = org ? { [ORG_HEADER]: org } : {};
    if (token) return { authorization: `Bearer ${token}`, ...acting };
    // Cookie-authenticated changes must come from Berth's own origin (CSRF rule).
    if (cookie) return method === 'GET' ? { cookie, ...acting } : { cookie, ...acting, origin: new URL(this.baseUrl).origin };
    return {};
  }

  /** A raw request: throws ApiError for any non-2xx answer. */
  async request(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json, */*', ...this.authHeaders(method), ...options.headers };
    let body: string | Buffer | ReadableStream<Uint8Array> | undefined;
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    } else if (options.body) {
      headers['content-type'] ??= 'application/octet-stream';
      headers['content-length'] = String(options.body.length);
      body = options.progress ? countedBody(options.body, options.progress) : options.body;
    }
    const url = this.url(path, options.query);
    let res: Response;
    try {
      res = await fetch(url, { method, headers, body, ...(body instanceof ReadableStream ? { duplex: 'half' } : {}) } as RequestInit);
    } catch (err) {
      throw new UnreachableError(this.baseUrl, err);
    }
    if (!res.ok) throw await toApiError(res);
    return res;
  }

  async json<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const res = await this.request(method, path, options);
    return (res.status === 204 ? undefined : await res.json()) as T;
  }

  /** A WebSocket to an API path, authenticated like every other request. */
  socket(path: string, query: RequestOptions['query'] = {}): WebSocket {
    return new WebSocket(this.url(path, query).replace(/^http/, 'ws'), { headers: this.authHeaders('GET') });
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
  logout = () => this.json<void>('POST', '/auth/logout');
  changePassword = (body: ChangePasswordBody) => this.json<void>('POST', '/me/password', { json: body });
  me = () => this.json<Me>('GET', '/me');
  tokens = async () => (await this.json<TokenList>('GET', '/tokens')).items;
  createToken = (body: CreateTokenBody) => this.json<CreatedToken>('POST', '/tokens', { json: body });
  deleteToken = (id: string) => this.json<void>('DELETE', `/tokens/${encodeURIComponent(id)}`);

  // --- organizations -----------------------------------------------------------
  orgs = async () => (await this.json<{ items: Organization[] }>('GET', '/orgs')).items;
  org = (slug: string) => this.json<Organization>('GET', `/orgs/${encodeURIComponent(slug)}`);
  createOrg = (body: CreateOrgBody) => this.json<Organization>('POST', '/orgs', { json: body });
  deleteOrg = (slug: string) => this.json<Organization>('DELETE', `/orgs/${encodeURIComponent(slug)}`);
  orgLifecycle = (slug: string, op: 'suspend' | 'reactivate') => this.json<Organization>('POST', `/orgs/${encodeURIComponent(slug)}/${op}`);
  members = async (slug: string) => (await this.json<{ items: Member[] }>('GET', `/orgs/${encodeURIComponent(slug)}/members`)).items;
  removeMember = (slug: string, username: string) => this.json<void>('DELETE', `/orgs/${encodeURIComponent(slug)}/members/${encodeURIComponent(username)}`);
  invite = (slug: string, body: Partial<CreateInvitationBody>) => this.json<CreatedInvitation>('POST', `/orgs/${encodeURIComponent(slug)}/invitations`, { json: body });
  myInvitations = async () => (await this.json<{ items: Invitation[] }>('GET', '/invitations')).items;
  acceptInvitation = (id: string) => this.json<Organization>('POST', `/invitations/${encodeURIComponent(id)}/accept`);
  acceptLink = (token: string) => this.json<Organization>('POST', '/invitations/accept', { json: { token } });
  teams = async (slug: string) => (await this.json<{ items: Team[] }>('GET', `/orgs/${encodeURIComponent(slug)}/teams`)).items;
  createTeam = (slug: string, body: { slug: string; name: string }) => this.json<Team>('POST', `/orgs/${encodeURIComponent(slug)}/teams`, { json: body });
  setTeamMember = (slug: string, team: string, username: string, role: Team['members'][number]['role']) =>
    this.json<Team>('PUT', `/orgs/${encodeURIComponent(slug)}/teams/${encodeURIComponent(team)}/members/${encodeURIComponent(username)}`, { json: { role } });
  removeTeamMember = (slug: string, team: string, username: string) =>
    this.json<void>('DELETE', `/orgs/${encodeURIComponent(slug)}/teams/${encodeURIComponent(team)}/members/${encodeURIComponent(username)}`);
  share = async (envId: string, teamId: string, level: Share['level']) =>
    (await this.json<{ items: Share[] }>('PUT', `/environments/${encodeURIComponent(envId)}/shares/${encodeURIComponent(teamId)}`, { json: { level } })).items;
  unshare = (envId: string, teamId: string) => this.json<void>('DELETE', `/environments/${encodeURIComponent(envId)}/shares/${encodeURIComponent(teamId)}`);

  // --- environments ------------------------------------------------------------
  environments = async (all = false) => (await this.json<EnvironmentList>('GET', '/environments', { query: { all: all ? 'true' : undefined } })).items;
  environment = (id: string) => this.json<Environment>('GET', `/environments/${encodeURIComponent(id)}`);
  createEnvironment = (body: CreateEnvironmentBody) => this.json<Environment>('POST', '/environments', { json: body });
  lifecycle = (id: string, action: Lifecycle) => this.json<Environment>('POST', `/environments/${encodeURIComponent(id)}/${action}`);
  deleteEnvironment = (id: string) => this.json<Environment>('DELETE', `/environments/${encodeURIComponent(id)}`);
  events = async (id: string, since = 0): Promise<EnvironmentEvent[]> =>
    (await this.json<EventList>('GET', `/environments/${encodeURIComponent(id)}/events`, { query: { since, limit: 1000 } })).items;
  exec = (id: string, body: Partial<ExecBody> & Pick<ExecBody, 'command'>) => this.json<ExecResult>('POST', `/environments/${encodeURIComponent(id)}/exec`, { json: body });

  /** Runs a command, handing each NDJSON line of its streamed output over as it arrives; returns how it ended. */
  async execStream(id: string, body: Partial<ExecBody> & Pick<ExecBody, 'command'>, onLine: (line: ExecStreamLine) => void): Promise<Extract<ExecStreamLine, { type: 'exit' }>> {
    const res = await this.request('POST', `/environments/${encodeURIComponent(id)}/exec/stream`, { json: body });
    let buffer = '';
    let end: Extract<ExecStreamLine, { type: 'exit' }> | undefined;
    const decoder = new TextDecoder();
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      const lines = buffer.split('\n');
      buffer = lines.pop()!;
      for (const text of lines) {
        if (!text) continue;
        const line = JSON.parse(text) as ExecStreamLine;
        if (line.type === 'exit') end = line;
        else if (line.type === 'error') throw new Error(`${line.code}: ${line.message}`);
        else onLine(line);
      }
    }
    if (!end) throw new Error('the server closed the output stream before the command ended');
    return end;
  }
  machineTypes = async () => (await this.json<MachineTypeList>('GET', '/machine-types')).items;
  templates = async () => (await this.json<TemplateList>('GET', '/templates')).items;

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

async function toApiError(res: Response): Promise<ApiError> {
  const text = await res.text().catch(() => '');
  let problem: Problem | undefined;
  try {
    const parsed = JSON.parse(text) as Partial<Problem>;
    if (typeof parsed.title === 'string' && typeof parsed.code === 'string') problem = parsed as Problem;
  } catch {
    // not JSON: a proxy's error page, say
  }
  const message = problem ? `${problem.title}${problem.detail && problem.detail !== problem.title ? `: ${problem.detail}` : ''}` : `HTTP ${res.status} ${res.statusText}`;
  return new ApiError(res.status, problem, message);
}
