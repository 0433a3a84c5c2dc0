import type { Queryable } from '../../db/pool.ts';
import type { Role } from '../../http/context.ts';
import type { ApiKey, User } from './schema.ts';

type UserRow = User & { password_hash: string; tenant_id: string };

const iso = (d: Date | null) => (d ? d.toISOString() : null);

const toUser = (r: Record<string, unknown>): UserRow => ({
  tenant_id: r.tenant_id as string,
  user_id: r.user_id as string,
  email: r.email as string,
  name: r.name as string,
  role: r.role as Role,
  disabled: r.disabled_at !== null,
  created_at: (r.created_at as Date).toISOString(),
  password_hash: r.password_hash as string,
});

const toApiKey = (r: Record<string, unknown>): ApiKey => ({
  api_key_id: r.api_key_id as string,
  name: r.name as string,
  role: r.role as Role,
  key_prefix: r.key_prefix as string,
  created_at: (r.created_at as Date).toISOString(),
  last_used_at: iso(r.last_used_at as Date | null),
  revoked_at: iso(r.revoked_at as Date | null),
});

export async function insertTenant(db: Queryable, tenantId: string, name: string) {
  const { rows } = await db.query(
    'insert into tenants (tenant_id, name) values ($1, $2) returning tenant_id, name, created_at',
    [tenantId, name],
  );
  return { ...rows[0], created_at: rows[0].created_at.toISOString() } as {
    tenant_id: string;
    name: string;
    created_at: string;
  };
}

export async function findTenant(db: Queryable, tenantId: string) {
  const { rows } = await db.query('select tenant_id, name, created_at from tenants where tenant_id = $1', [
    tenantId,
  ]);
  return rows[0]
    ? {
        tenant_id: rows[0].tenant_id as string,
        name: rows[0].name as string,
        created_at: rows[0].created_at.toISOString() as string,
      }
    : undefined;
}

export async function insertUser(
  db: Queryable,
  u: { tenant_id: string; user_id: string; email: string; name: string; role: Role; password_hash: string },
) {
  const { rows } = await db.query(
    `insert into users (tenant_id, user_id, email, name, role, password_hash)
     values ($1, $2, $3, $4, $5, $6) on conflict do nothing returning *`,
    [u.tenant_id, u.user_id, u.email, u.name, u.role, u.password_hash],
  );
  return rows[0] ? toUser(rows[0]) : undefined;
}

export async function findUser(db: Queryable, tenantId: string, userId: string) {
  const { rows } = await db.query('select * from users where tenant_id = $1 and user_id = $2', [
    tenantId,
    userId,
  ]);
  return rows[0] ? toUser(rows[0]) : undefined;
}

export async function findUsersByEmail(db: Queryable, email: string) {
  const { rows } = await db.query(
    'select * from users where lower(email) = lower($1) and disabled_at is null',
    [email],
  );
  return rows.map(toUser);
}

export async function listUsers(db: Queryable, tenantId: string, after: string | undefined, limit: number) {
  const { rows } = await db.query(
    `select * from users where tenant_id = $1 and ($2::text is null or user_id > $2) order by user_id limit $3`,
    [tenantId, after ?? null, limit],
  );
  return rows.map(toUser);
}

export async function updateUser(
  db: Queryable,
  tenantId: string,
  userId: string,
  patch: { name?: string; role?: Role; disabled?: boolean; password_hash?: string },
) {
  const { rows } = await db.query(
    `update users set
       name = coalesce($3, name),
       role = coalesce($4, role),
       disabled_at = case when $5::boolean is null then disabled_at when $5 then coalesce(disabled_at, now()) else null end,
       password_hash = coalesce($6, password_hash)
     where tenant_id = $1 and user_id = $2 returning *`,
    [
      tenantId,
      userId,
      patch.name ?? null,
      patch.role ?? null,
      patch.disabled ?? null,
      patch.password_hash ?? null,
    ],
  );
  return rows[0] ? toUser(rows[0]) : undefined;
}

export async function insertApiKey(
  db: Queryable,
  k: {
    tenant_id: string;
    api_key_id: string;
    name: string;
    role: Role;
    key_prefix: string;
    key_hash: string;
    created_by: string | null;
  },
) {
  const { rows } = await db.query(
    `insert into api_keys (tenant_id, api_key_id, name, role, key_prefix, key_hash, created_by)
     values ($1, $2, $3, $4, $5, $6, $7) returning *`,
    [k.tenant_id, k.api_key_id, k.name, k.role, k.key_prefix, k.key_hash, k.created_by],
  );
  return toApiKey(rows[0]);
}

export async function findApiKeyByHash(db: Queryable, keyHash: string) {
  const { rows } = await db.query(
    'select tenant_id, api_key_id, role, revoked_at, last_used_at from api_keys where key_hash = $1',
    [keyHash],
  );
  return rows[0] as
    | {
        tenant_id: string;
        api_key_id: string;
        role: Role;
        revoked_at: Date | null;
        last_used_at: Date | null;
      }
    | undefined;
}

export async function touchApiKey(db: Queryable, tenantId: string, apiKeyId: string) {
  await db.query('update api_keys set last_used_at = now() where tenant_id = $1 and api_key_id = $2', [
    tenantId,
    apiKeyId,
  ]);
}

export async function findApiKey(db: Queryable, tenantId: string, apiKeyId: string) {
  const { rows } = await db.query('select * from api_keys where tenant_id = $1 and api_key_id = $2', [
    tenantId,
    apiKeyId,
  ]);
  return rows[0] ? toApiKey(rows[0]) : undefined;
}

export async function listApiKeys(db: Queryable, tenantId: string, after: string | undefined, limit: number) {
  const { rows } = await db.query(
    `select * from api_keys where tenant_id = $1 and ($2::text is null or api_key_id > $2)
     order by api_key_id limit $3`,
    [tenantId, after ?? null, limit],
  );
  return rows.map(toApiKey);
}

export async function revokeApiKey(db: Queryable, tenantId: string, apiKeyId: string) {
  const { rows } = await db.query(
    `update api_keys set revoked_at = coalesce(revoked_at, now())
     where tenant_id = $1 and api_key_id = $2 returning *`,
    [tenantId, apiKeyId],
  );
  return rows[0] ? toApiKey(rows[0]) : undefined;
}

export async function insertSession(
  db: Queryable,
  s: { tenant_id: string; session_id: string; user_id: string; token_hash: string; expires_at: Date },
) {
  await db.query(
    `insert into sessions (tenant_id, session_id, user_id, token_hash, expires_at) values ($1, $2, $3, $4, $5)`,
    [s.tenant_id, s.session_id, s.user_id, s.token_hash, s.expires_at],
  );
}

export async function findSessionByHash(db: Queryable, tokenHash: string) {
  const { rows } = await db.query(
    `select s.tenant_id, s.session_id, s.user_id, u.role from sessions s
     join users u on u.tenant_id = s.tenant_id and u.user_id = s.user_id
     where s.token_hash = $1 and s.expires_at > now() and u.disabled_at is null`,
    [tokenHash],
  );
  return rows[0] as { tenant_id: string; session_id: string; user_id: string; role: Role } | undefined;
}

export async function deleteSession(db: Queryable, tenantId: string, sessionId: string) {
  await db.query('delete from sessions where tenant_id = $1 and session_id = $2', [tenantId, sessionId]);
}

export async function deleteUserSessions(db: Queryable, tenantId: string, userId: string) {
  await db.query('delete from sessions where tenant_id = $1 and user_id = $2', [tenantId, userId]);
}

export async function deleteExpiredSessions(db: Queryable) {
  const r = await db.query('delete from sessions where expires_at < now()');
  return r.rowCount ?? 0;
}
