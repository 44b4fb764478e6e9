import type { FieldError, Problem } from '@berth/contracts';

/**
 * An answer that was not 2xx. Berth's answers carry problem+json with a stable
 * `code`; anything else (a proxy's error page) leaves `problem` undefined.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem | undefined,
    message = problem ? problem.detail || problem.title : `HTTP ${status}`,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** The refusal a non-2xx response carries, read from its body. */
  static from(res: Response): Promise<ApiError> {
    return errorOf(res);
  }

  /** Title and detail together (`Not enough credits: …`), for a line of text on its own. */
  describe(): string {
    return this.problem ? describeProblem(this.problem) : this.message;
  }

  /** The problem's stable code (`insufficient_credits`, `not_found`…); undefined for an answer that was not Berth's. */
  get code(): string | undefined {
    return this.problem?.code;
  }

  /** Field errors by field path without its "body." (or query, params) prefix, for showing next to inputs. */
  fieldErrors(): Record<string, string> {
    return Object.fromEntries((this.problem?.errors ?? []).map((e: FieldError) => [e.field.replace(/^(body|query|params)\./, ''), e.message]));
  }
}

/** The server could not be reached at all (refused, DNS, TLS…). */
export class UnreachableError extends Error {
  constructor(
    readonly url: string,
    cause: unknown,
  ) {
    super(`could not reach ${url}: ${describeCause(cause)}`);
    this.name = 'UnreachableError';
  }
}

/** The server answered 2xx with something its contract does not allow: a client and server of different versions, or a bug. */
export class ContractError extends Error {
  constructor(route: string, issues: string) {
    super(`the answer to ${route} does not match its contract: ${issues}`);
    this.name = 'ContractError';
  }
}

const describeProblem = (p: Problem) => `${p.title}${p.detail && p.detail !== p.title ? `: ${p.detail}` : ''}`;

function describeCause(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err as Error).message;
}

/** The error a non-2xx answer stands for, read from its body. */
export async function errorOf(res: Response): Promise<ApiError> {
  const text = await res.text().catch(() => '');
  let problem: Problem | undefined;
  try {
    const parsed = JSON.parse(text) as Partial<Problem>;
    if (typeof parsed.title === 'string' && typeof parsed.code === 'string') problem = parsed as Problem;
  } catch {
    // not JSON: a proxy's error page, say
  }
  return new ApiError(res.status, problem, problem ? undefined : `HTTP ${res.status} ${res.statusText}`.trim());
}
