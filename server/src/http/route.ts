import { createRoute, type OpenAPIHono, type RouteConfig } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import { roleAllows } from '../modules/tenancy/service.ts';
import type { AppEnv, Role } from './context.ts';
import { AppError, ProblemSchema } from './problem.ts';

const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: ProblemSchema } },
});

/** The answers every authenticated route can give besides its own. */
const COMMON_PROBLEMS = {
  400: problem('Malformed request'),
  401: problem('No valid API key or session'),
  403: problem('Your role may not do this'),
  404: problem('No such object in your tenant'),
  409: problem('Conflicts with the current state, or an Idempotency-Key reused for another request'),
  413: problem('Body too large'),
  415: problem('Body is not JSON'),
  422: problem('Invalid input; `errors` names each field'),
  429: problem('Rate limited; see Retry-After'),
  500: problem('Our fault; quote request_id'),
};
const PUBLIC_PROBLEMS = { 400: COMMON_PROBLEMS[400], 401: COMMON_PROBLEMS[401], 422: COMMON_PROBLEMS[422] };

export const requireRole = (role: Role) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const principal = c.get('principal');
    if (!principal)
      throw new AppError('unauthenticated', 'Send an API key as "Authorization: Bearer <key>" or sign in.');
    if (!roleAllows(principal.role, role)) {
      throw new AppError(
        'forbidden',
        `This needs the ${role} role; your key or user has the ${principal.role} role.`,
      );
    }
    await next();
  });

/**
 * Every route is declared through here with the least role that may call it ('public' for
 * sign-in only). The role is enforced and also published in the OpenAPI document
 * (`x-required-role`), which the auth tests walk so no route escapes the check.
 */
export function defineRoute<const R extends Omit<RouteConfig, 'middleware'>>(
  role: Role | 'public',
  config: R,
) {
  const responses = { ...(role === 'public' ? PUBLIC_PROBLEMS : COMMON_PROBLEMS), ...config.responses };
  return createRoute({
    ...config,
    responses,
    ...(role === 'public'
      ? { security: [] }
      : { middleware: [requireRole(role)] as const, security: [{ bearerAuth: [] }, { sessionCookie: [] }] }),
    'x-required-role': role,
  } as unknown as R);
}

export const json = <T>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});

export const jsonBody = <T>(schema: T) => ({
  required: true,
  content: { 'application/json': { schema } },
});

/**
 * A validation hook for routes under an object: when the input is invalid, another tenant's (or a
 * missing) object still answers 404 first, so a 422 never confirms that the object exists.
 */
export const existsFirst =
  (app: OpenAPIHono<AppEnv>, exists: (c: Context<AppEnv>, tenantId: string) => Promise<unknown>) =>
  async (result: { success: boolean }, c: Context<AppEnv>) => {
    if (!result.success) await exists(c, c.var.principal!.tenant_id);
    return app.defaultHook?.(result as never, c as never);
  };
