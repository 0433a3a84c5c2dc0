import type { FieldError, Problem } from './types.ts';

/**
 * A non-2xx answer, thrown. It carries the server's RFC 9457 problem document. If the body is not
 * a problem (a proxy's HTML error page, say), an equivalent problem is made from the status line.
 */
export class OrderlyError extends Error {
  override readonly name = 'OrderlyError';
  /** The HTTP status of the answer. */
  readonly status: number;
  /** The problem type, e.g. `/problems/validation-error`; stable, so branch on it. */
  readonly type: string;
  readonly title: string;
  /** For people: what went wrong with this request. */
  readonly detail: string;
  /** On 422: one entry per offending field, e.g. `{ path: 'body.email', message: 'Invalid email' }`. */
  readonly errors?: FieldError[];
  /** Quote it when asking for help: the server's logs carry it too. */
  readonly request_id: string;
  /** The whole problem document, including any extension members. */
  readonly problem: Problem;
  /** The answer's headers (Retry-After, X-Request-Id, …). */
  readonly headers: Headers;

  constructor(problem: Problem, headers: Headers = new Headers()) {
    const quote = problem.request_id ? ` (request ${problem.request_id})` : '';
    super(`${problem.status} ${problem.title}: ${problem.detail}${quote}`);
    this.problem = problem;
    this.status = problem.status;
    this.type = problem.type;
    this.title = problem.title;
    this.detail = problem.detail;
    if (problem.errors) this.errors = problem.errors;
    this.request_id = problem.request_id;
    this.headers = headers;
  }

  /** Reads the body of a non-2xx answer into an OrderlyError. */
  static async fromResponse(response: Response): Promise<OrderlyError> {
    const text = await response.text().catch(() => '');
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const request_id = response.headers.get('x-request-id') ?? '';
    const instance = pathOf(response.url);
    let problem: Problem;
    if (isProblemLike(body)) {
      problem = {
        ...body,
        type: body.type,
        title: body.title,
        status: response.status,
        detail: typeof body.detail === 'string' ? body.detail : body.title,
        instance: typeof body.instance === 'string' ? body.instance : instance,
        request_id: typeof body.request_id === 'string' ? body.request_id : request_id,
      };
    } else {
      const title = response.statusText || `HTTP ${response.status}`;
      problem = {
        type: 'about:blank',
        title,
        status: response.status,
        detail:
          text.trim().slice(0, 500) ||
          `The server answered ${response.status} ${title} with no problem document.`,
        instance,
        request_id,
      };
    }
    return new OrderlyError(problem, response.headers);
  }
}

function isProblemLike(
  body: unknown,
): body is Record<string, unknown> & { type: string; title: string; errors?: FieldError[] } {
  if (typeof body !== 'object' || body === null) return false;
  const b = body as Record<string, unknown>;
  return typeof b.type === 'string' && typeof b.title === 'string';
}

function pathOf(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return '';
  }
}
