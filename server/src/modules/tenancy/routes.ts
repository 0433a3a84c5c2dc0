import { type OpenAPIHono, z } from '@hono/zod-openapi';
import { deleteCookie, setCookie } from 'hono/cookie';
import type { AppEnv, Deps } from '../../http/context.ts';
import { decodeCursor, PageQuery, pageOf, toPage } from '../../http/pagination.ts';
import { defineRoute, json, jsonBody } from '../../http/route.ts';
import { SESSION_COOKIE, secureCookie } from '../../http/session.ts';
import {
  ApiKeySchema,
  CreateApiKeySchema,
  CreatedApiKeySchema,
  CreateUserSchema,
  LoginSchema,
  MeSchema,
  UpdateUserSchema,
  UserSchema,
} from './schema.ts';
import * as tenancy from './service.ts';

const tags = ['Tenancy'];
const UserId = z.object({ user_id: z.string().max(100) });
const ApiKeyId = z.object({ api_key_id: z.string().max(100) });

export function tenancyRoutes(app: OpenAPIHono<AppEnv>, deps: Deps) {
  app.openapi(
    defineRoute('public', {
      method: 'post',
      path: '/v1/auth/login',
      tags,
      summary: 'Sign in to the dashboard (sets an httpOnly session cookie)',
      request: { body: jsonBody(LoginSchema) },
      responses: { 200: json(MeSchema, 'Signed in') },
    }),
    async (c) => {
      const session = await tenancy.login(c.var.db, c.req.valid('json'));
      setCookie(c, SESSION_COOKIE, session.token, {
        httpOnly: true,
        sameSite: 'Strict',
        secure: secureCookie(c, deps.config.cookieSecure),
        path: '/',
        expires: session.expires_at,
      });
      const tenant = await tenancy.getTenant(c.var.db, session.tenant_id);
      return c.json(
        {
          tenant,
          role: session.user.role,
          actor: { type: 'user' as const, id: session.user.user_id },
          user: session.user,
        },
        200,
      );
    },
  );

  app.openapi(
    defineRoute('support', {
      method: 'post',
      path: '/v1/auth/logout',
      tags,
      summary: 'Sign out (ends the session behind the cookie)',
      responses: { 204: { description: 'Signed out' } },
    }),
    async (c) => {
      const p = c.var.principal!;
      if (p.session_id) await tenancy.logout(c.var.db, p.tenant_id, p.session_id);
      deleteCookie(c, SESSION_COOKIE, { path: '/' });
      return c.body(null, 204);
    },
  );

  app.openapi(
    defineRoute('support', {
      method: 'get',
      path: '/v1/auth/me',
      tags,
      summary: 'Who am I: tenant, role and the user or key behind the request',
      responses: { 200: json(MeSchema, 'The caller') },
    }),
    async (c) => {
      const p = c.var.principal!;
      const tenant = await tenancy.getTenant(c.var.db, p.tenant_id);
      const user = p.actor.type === 'user' ? await tenancy.getUser(c.var.db, p.tenant_id, p.actor.id) : null;
      return c.json({ tenant, role: p.role, actor: p.actor, user }, 200);
    },
  );

  app.openapi(
    defineRoute('admin', {
      method: 'get',
      path: '/v1/users',
      tags,
      summary: 'List users',
      request: { query: PageQuery },
      responses: { 200: json(pageOf(UserSchema).openapi('UserPage'), 'A page of users') },
    }),
    async (c) => {
      const { limit, cursor } = c.req.valid('query');
      const rows = await tenancy.listUsers(
        c.var.db,
        c.var.principal!.tenant_id,
        decodeCursor(cursor),
        limit + 1,
      );
      return c.json(
        toPage(rows, limit, (u) => u.user_id),
        200,
      );
    },
  );

  app.openapi(
    defineRoute('admin', {
      method: 'post',
      path: '/v1/users',
      tags,
      summary: 'Create a user',
      request: { body: jsonBody(CreateUserSchema) },
      responses: { 201: json(UserSchema, 'Created') },
    }),
    async (c) => {
      const p = c.var.principal!;
      return c.json(await tenancy.createUser(c.var.db, p.tenant_id, p.actor, c.req.valid('json')), 201);
    },
  );

  app.openapi(
    defineRoute('admin', {
      method: 'get',
      path: '/v1/users/{user_id}',
      tags,
      summary: 'Get a user',
      request: { params: UserId },
      responses: { 200: json(UserSchema, 'The user') },
    }),
    async (c) =>
      c.json(await tenancy.getUser(c.var.db, c.var.principal!.tenant_id, c.req.valid('param').user_id), 200),
  );

  app.openapi(
    defineRoute('admin', {
      method: 'patch',
      path: '/v1/users/{user_id}',
      tags,
      summary: 'Change a user: name, role, password, or disable',
      request: { params: UserId, body: jsonBody(UpdateUserSchema) },
      responses: { 200: json(UserSchema, 'Updated') },
    }),
    async (c) => {
      const p = c.var.principal!;
      const user = await tenancy.updateUser(
        c.var.db,
        p.tenant_id,
        p.actor,
        c.req.valid('param').user_id,
        c.req.valid('json'),
      );
      return c.json(user, 200);
    },
  );

  app.openapi(
    defineRoute('admin', {
      method: 'get',
      path: '/v1/api-keys',
      tags,
      summary: 'List API keys (never their secrets)',
      request: { query: PageQuery },
      responses: { 200: json(pageOf(ApiKeySchema).openapi('ApiKeyPage'), 'A page of API keys') },
    }),
    async (c) => {
      const { limit, cursor } = c.req.valid('query');
      const rows = await tenancy.listApiKeys(
        c.var.db,
        c.var.principal!.tenant_id,
        decodeCursor(cursor),
        limit + 1,
      );
      return c.json(
        toPage(rows, limit, (k) => k.api_key_id),
        200,
      );
    },
  );

  app.openapi(
    defineRoute('admin', {
      method: 'post',
      path: '/v1/api-keys',
      tags,
      summary: 'Create an API key; the secret is in this answer only',
      description:
        'Replaying the request with the same Idempotency-Key returns the same key record with `key` redacted: ' +
        'the secret is never stored.',
      request: { body: jsonBody(CreateApiKeySchema) },
      responses: { 201: json(CreatedApiKeySchema, 'Created') },
    }),
    async (c) => {
      c.set('redactOnReplay', ['key']);
      const p = c.var.principal!;
      return c.json(await tenancy.createApiKey(c.var.db, p.tenant_id, p.actor, c.req.valid('json')), 201);
    },
  );

  app.openapi(
    defineRoute('admin', {
      method: 'get',
      path: '/v1/api-keys/{api_key_id}',
      tags,
      summary: 'Get an API key',
      request: { params: ApiKeyId },
      responses: { 200: json(ApiKeySchema, 'The key') },
    }),
    async (c) =>
      c.json(
        await tenancy.getApiKey(c.var.db, c.var.principal!.tenant_id, c.req.valid('param').api_key_id),
        200,
      ),
  );

  app.openapi(
    defineRoute('admin', {
      method: 'post',
      path: '/v1/api-keys/{api_key_id}/revoke',
      tags,
      summary: 'Revoke an API key (immediately; cannot be undone)',
      request: { params: ApiKeyId },
      responses: { 200: json(ApiKeySchema, 'Revoked') },
    }),
    async (c) => {
      const p = c.var.principal!;
      return c.json(
        await tenancy.revokeApiKey(c.var.db, p.tenant_id, p.actor, c.req.valid('param').api_key_id),
        200,
      );
    },
  );
}
