export type Role = 'admin' | 'manager' | 'support';

export type Tenant = { tenant_id: string; name: string; created_at: string };

export type User = {
  user_id: string;
  email: string;
  name: string;
  role: Role;
  disabled: boolean;
  created_at: string;
};

export type ApiKey = {
  api_key_id: string;
  name: string;
  role: Role;
  key_prefix: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
};

export type Me = {
  tenant: Tenant;
  role: Role;
  actor: { type: 'user' | 'api_key' | 'system'; id: string };
  user: User | null;
};

export type Page<T> = { data: T[]; next_cursor: string | null };

export type Check = { ok: boolean; detail: string };
export type Health = { status: 'ok' | 'unavailable'; checks: Record<string, Check> };

export type FieldError = { path: string; message: string };

/** An answer other than 2xx, carrying the problem+json `detail` the server wrote for people. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors: FieldError[] = [],
  ) {
    super(message);
  }
}

let onUnauthorized: () => void = () => {};

/** The session can end while the dashboard is open (expiry, sign-out elsewhere): App listens here. */
export function handleUnauthorized(handler: () => void) {
  onUnauthorized = handler;
}

async function problemOf(res: Response): Promise<ApiError> {
  try {
    const body = (await res.json()) as { detail?: string; title?: string; errors?: FieldError[] };
    return new ApiError(res.status, body.detail ?? body.title ?? res.statusText, body.errors ?? []);
  } catch {
    return new ApiError(res.status, `The server answered ${res.status} ${res.statusText}.`);
  }
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: body === undefined ? { accept: 'application/json' } : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) {
    const error = await problemOf(res);
    if (res.status === 401 && !path.startsWith('/v1/auth/')) onUnauthorized();
    throw error;
  }
  return (res.status === 204 ? undefined : await res.json()) as T;
}

export const getMe = () => api<Me>('GET', '/v1/auth/me');
export const login = (email: string, password: string) =>
  api<Me>('POST', '/v1/auth/login', { email, password });
export const logout = () => api<void>('POST', '/v1/auth/logout');

/** /health answers 503 with the same body when something is not ready; both are worth showing. */
export async function getHealth(): Promise<Health> {
  const res = await fetch('/health', { headers: { accept: 'application/json' } });
  if (res.status !== 200 && res.status !== 503) throw await problemOf(res);
  return (await res.json()) as Health;
}
