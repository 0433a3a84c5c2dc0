import { z } from '@hono/zod-openapi';

/** The problem types Orderly answers with, each with its one HTTP status (RFC 9457). */
export const PROBLEMS = {
  'malformed-request': { status: 400, title: 'Malformed request' },
  unauthenticated: { status: 401, title: 'Authentication required' },
  forbidden: { status: 403, title: 'Not allowed for your role' },
  'not-found': { status: 404, title: 'Not found' },
  conflict: { status: 409, title: 'Conflict' },
  'idempotency-conflict': { status: 409, title: 'Idempotency key reused with a different request' },
  'payload-too-large': { status: 413, title: 'Request body too large' },
  'unsupported-media-type': { status: 415, title: 'Unsupported media type' },
  'validation-error': { status: 422, title: 'Validation failed' },
  'rate-limited': { status: 429, title: 'Too many requests' },
  internal: { status: 500, title: 'Internal server error' },
  unavailable: { status: 503, title: 'Service unavailable' },
} as const;

export type ProblemCode = keyof typeof PROBLEMS;
export type FieldError = { path: string; message: string };

/** The one error type routes and services throw; rendered as problem+json in one place. */
export class AppError extends Error {
  constructor(
    readonly code: ProblemCode,
    message: string,
    readonly extra: { errors?: FieldError[]; headers?: Record<string, string>; [k: string]: unknown } = {},
  ) {
    super(message);
  }
  get status(): number {
    return PROBLEMS[this.code].status;
  }
}

export const notFound = (what: string) => new AppError('not-found', `${what} was not found.`);

export const ProblemSchema = z
  .object({
    type: z.string().openapi({ example: '/problems/validation-error' }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string(),
    request_id: z.string(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .passthrough()
  .openapi('Problem');

export function problemBody(err: AppError, instance: string, requestId: string) {
  const { headers: _h, ...extra } = err.extra;
  return {
    type: `/problems/${err.code}`,
    title: PROBLEMS[err.code].title,
    status: err.status,
    detail: err.message,
    instance,
    request_id: requestId,
    ...extra,
  };
}

/** zod issues → field errors named by where they came from, e.g. `body.lines[0].quantity`. */
export function fieldErrors(source: string, issues: readonly z.core.$ZodIssue[]): FieldError[] {
  return issues.flatMap((issue) => {
    const base = [source, ...issue.path.map(String)].join('.').replace(/\.(\d+)(?=\.|$)/g, '[$1]');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((k) => ({ path: `${base}.${k}`, message: 'Unknown field.' }));
    }
    return [{ path: base, message: issue.message }];
  });
}
