import type { Queryable } from '../../db/pool.ts';
import type { Actor, Principal, Role } from '../../http/context.ts';
import { AppError, notFound } from '../../http/problem.ts';
import { newId } from '../../lib/ids.ts';
import { hashPassword, newSecret, sha256, verifyPassword } from '../../lib/secrets.ts';
import { CONFIG_TTL_MS, lookupCache } from '../../lib/ttl-cache.ts';
import { publish } from '../events/service.ts';
import type { CreateUser, UpdateUser } from './schema.ts';
import * as store from './store.ts';

export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
const API_KEY_PREFIX = 'ok';
const ROLE_RANK: Record<Role, number> = { support: 1, manager: 2, admin: 3 };

export const roleAllows = (have: Role, need: Role) => ROLE_RANK[have] >= ROLE_RANK[need];

const SYSTEM: Actor = { type: 'system', id: 'orderly' };

export async function createTenant(db: Queryable, name: string, tenantId = newId('ten')) {
  const tenant = await store.insertTenant(db, tenantId, name);
  await publish(db, tenant.tenant_id, SYSTEM, {
    type: 'tenant.created',
    subject: tenant.tenant_id,
    data: tenant,
  });
  return tenant;
}

export async function getTenant(db: Queryable, tenantId: string) {
  const tenant = await store.findTenant(db, tenantId);
  if (!tenant) throw notFound('Tenant');
  return tenant;
}

export async function createUser(db: Queryable, tenantId: string, actor: Actor, input: CreateUser) {
  const user = await store.insertUser(db, {
    tenant_id: tenantId,
    user_id: newId('usr'),
    email: input.email,
    name: input.name,
    role: input.role,
    password_hash: await hashPassword(input.password),
  });
  if (!user)
    throw new AppError('conflict', `A user with email ${input.email} already exists.`, {
      field: 'body.email',
    });
  const { password_hash: _p, tenant_id: _t, ...publicUser } = user;
  await publish(db, tenantId, actor, { type: 'user.created', subject: user.user_id, data: publicUser });
  return publicUser;
}

export async function getUser(db: Queryable, tenantId: string, userId: string) {
  const user = await store.findUser(db, tenantId, userId);
  if (!user) throw notFound(`User ${userId}`);
  const { password_hash: _p, tenant_id: _t, ...publicUser } = user;
  return publicUser;
}

export async function listUsers(db: Queryable, tenantId: string, after: string | undefined, limit: number) {
  const rows = await store.listUsers(db, tenantId, after, limit);
  return rows.map(({ password_hash: _p, tenant_id: _t, ...u }) => u);
}

export async function updateUser(
  db: Queryable,
  tenantId: string,
  actor: Actor,
  userId: string,
  patch: UpdateUser,
) {
  const user = await store.updateUser(db, tenantId, userId, {
    ...patch,
    password_hash: patch.password ? await hashPassword(patch.password) : undefined,
  });
  if (!user) throw notFound(`User ${userId}`);
  // A disabled person or a changed password signs in again.
  if (patch.disabled || patch.password) await store.deleteUserSessions(db, tenantId, userId);
  const { password_hash: _p, tenant_id: _t, ...publicUser } = user;
  await publish(db, tenantId, actor, {
    type: 'user.updated',
    subject: userId,
    data: { ...publicUser, changed: Object.keys(patch).filter((k) => k !== 'password') },
  });
  return publicUser;
}

/** `key` lets start-up install ORDERLY_BOOTSTRAP_KEY verbatim; otherwise a random one is made. */
export async function createApiKey(
  db: Queryable,
  tenantId: string,
  actor: Actor,
  input: { name: string; role: Role },
  key = newSecret(API_KEY_PREFIX),
) {
  const apiKey = await store.insertApiKey(db, {
    tenant_id: tenantId,
    api_key_id: newId('key'),
    name: input.name,
    role: input.role,
    key_prefix: key.slice(0, 10),
    key_hash: sha256(key),
    created_by: actor.type === 'system' ? null : actor.id,
  });
  await publish(db, tenantId, actor, { type: 'api_key.created', subject: apiKey.api_key_id, data: apiKey });
  return { ...apiKey, key };
}

/** Makes sure `key` is an admin key of the tenant (idempotent: start-up calls it every time). */
export async function ensureApiKey(db: Queryable, tenantId: string, key: string, name: string) {
  const existing = await store.findApiKeyByHash(db, sha256(key));
  if (existing) {
    if (existing.tenant_id !== tenantId || existing.revoked_at) {
      throw new Error('ORDERLY_BOOTSTRAP_KEY is already used by another tenant or was revoked.');
    }
    return;
  }
  await createApiKey(db, tenantId, SYSTEM, { name, role: 'admin' }, key);
}

export async function getApiKey(db: Queryable, tenantId: string, apiKeyId: string) {
  const key = await store.findApiKey(db, tenantId, apiKeyId);
  if (!key) throw notFound(`API key ${apiKeyId}`);
  return key;
}

export const listApiKeys = store.listApiKeys;

export async function revokeApiKey(db: Queryable, tenantId: string, actor: Actor, apiKeyId: string) {
  keyCache.invalidate(tenantId);
  const key = await store.revokeApiKey(db, tenantId, apiKeyId);
  if (!key) throw notFound(`API key ${apiKeyId}`);
  await publish(db, tenantId, actor, { type: 'api_key.revoked', subject: apiKeyId, data: key });
  return key;
}

/**
 * Valid keys, by hash, so that a request does not wait for a query to learn who is calling. A key
 * revoked here is refused at once; one revoked by another process, within `CONFIG_TTL_MS`.
 */
const keyCache = lookupCache<{ tenant_id: string; api_key_id: string; role: Role; last_used_ms: number }>(
  CONFIG_TTL_MS,
);

/** The principal behind a bearer key, or undefined if the key is unknown or revoked. */
export async function authenticateApiKey(db: Queryable, key: string): Promise<Principal | undefined> {
  const hash = sha256(key);
  const found = await keyCache.get(hash, async () => {
    const row = await store.findApiKeyByHash(db, hash);
    if (!row || row.revoked_at) return undefined;
    const { tenant_id, api_key_id, role } = row;
    return { tenant_id, api_key_id, role, last_used_ms: row.last_used_at?.getTime() ?? 0 };
  });
  if (!found) return undefined;
  // last_used_at is informational: refresh it at most once a minute, outside the request's work.
  const now = Date.now();
  if (now - found.last_used_ms > 60_000) {
    found.last_used_ms = now;
    store.touchApiKey(db, found.tenant_id, found.api_key_id).catch(() => undefined);
  }
  return { tenant_id: found.tenant_id, role: found.role, actor: { type: 'api_key', id: found.api_key_id } };
}

export async function authenticateSession(db: Queryable, token: string): Promise<Principal | undefined> {
  const row = await store.findSessionByHash(db, sha256(token));
  if (!row) return undefined;
  return {
    tenant_id: row.tenant_id,
    role: row.role,
    actor: { type: 'user', id: row.user_id },
    session_id: row.session_id,
  };
}

/** Checks the password against every active account with this email; one match signs in. */
export async function login(db: Queryable, input: { email: string; password: string; tenant_id?: string }) {
  const candidates = (await store.findUsersByEmail(db, input.email)).filter(
    (u) => !input.tenant_id || u.tenant_id === input.tenant_id,
  );
  const matches = [];
  for (const u of candidates) if (await verifyPassword(input.password, u.password_hash)) matches.push(u);
  if (matches.length === 0) throw new AppError('unauthenticated', 'Email or password is wrong.');
  if (matches.length > 1) {
    throw new AppError(
      'validation-error',
      'This email belongs to several tenants: say which one in tenant_id.',
      {
        errors: [{ path: 'body.tenant_id', message: 'Required when the email is in several tenants.' }],
      },
    );
  }
  const user = matches[0]!;
  const token = newSecret('ses');
  const expires_at = new Date(Date.now() + SESSION_TTL_MS);
  await store.insertSession(db, {
    tenant_id: user.tenant_id,
    session_id: newId('ses'),
    user_id: user.user_id,
    token_hash: sha256(token),
    expires_at,
  });
  const { password_hash: _p, tenant_id, ...publicUser } = user;
  return { token, expires_at, tenant_id, user: publicUser };
}

export const logout = store.deleteSession;
export const deleteExpiredSessions = store.deleteExpiredSessions;
