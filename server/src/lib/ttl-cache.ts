/**
 * A per-process cache of configuration that is read on every order but changes rarely (the
 * network, policies, settings). Entries live `ttl_ms`; the module that changes the configuration
 * drops the tenant's entries at once, so this process sees its own changes immediately and other
 * processes within `ttl_ms`. Failed loads are not kept.
 */
export function tenantCache<T>(ttl_ms: number) {
  const entries = new Map<string, { at_ms: number; value: Promise<T> }>();
  const grace = commitGrace();
  return {
    get(tenantId: string, key: string, load: () => Promise<T>): Promise<T> {
      const k = `${tenantId}\u0000${key}`;
      const now = Date.now();
      if (grace.active(tenantId)) return load();
      const hit = entries.get(k);
      if (hit && now - hit.at_ms < ttl_ms) return hit.value;
      const value = load();
      entries.set(k, { at_ms: now, value });
      value.catch(() => entries.get(k)?.value === value && entries.delete(k));
      return value;
    },
    invalidate(tenantId: string) {
      grace.begin(tenantId);
      const prefix = `${tenantId}\u0000`;
      for (const k of entries.keys()) if (k.startsWith(prefix)) entries.delete(k);
    },
  };
}

/**
 * The same, for values found by something that does not name the tenant (an API key's hash):
 * the tenant is read from the value. Only values found are kept, since what is unknown now may
 * be created by another process at any moment.
 */
export function lookupCache<T extends { tenant_id: string }>(ttl_ms: number) {
  const entries = new Map<string, { at_ms: number; value: T }>();
  const grace = commitGrace();
  return {
    async get(key: string, load: () => Promise<T | undefined>): Promise<T | undefined> {
      const started = Date.now();
      const hit = entries.get(key);
      if (hit && started - hit.at_ms < ttl_ms && !grace.active(hit.value.tenant_id)) return hit.value;
      const value = await load();
      // Checked after the load too: an invalidation while it ran may make what it read stale.
      if (value && !grace.active(value.tenant_id)) entries.set(key, { at_ms: started, value });
      else entries.delete(key);
      return value;
    },
    invalidate(tenantId: string) {
      grace.begin(tenantId);
      for (const [k, e] of entries) if (e.value.tenant_id === tenantId) entries.delete(k);
    },
  };
}

/**
 * A change is invalidated before its transaction commits; until it surely has, the tenant's
 * values are read afresh and not kept.
 */
function commitGrace() {
  const until = new Map<string, number>();
  return {
    begin: (tenantId: string) => until.set(tenantId, Date.now() + COMMIT_GRACE_MS),
    active: (tenantId: string) => (until.get(tenantId) ?? 0) > Date.now(),
  };
}

const COMMIT_GRACE_MS = 2_000;

/** How long other processes may keep answering from configuration another process changed. */
export const CONFIG_TTL_MS = 5_000;
