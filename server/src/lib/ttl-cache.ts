/**
 * A per-process cache of configuration that is read on every order but changes rarely (the
 * network, policies, settings). Entries live `ttl_ms`; the module that changes the configuration
 * drops the tenant's entries at once, so this process sees its own changes immediately and other
 * processes within `ttl_ms`. Failed loads are not kept.
 */
export function tenantCache<T>(ttl_ms: number) {
  const entries = new Map<string, { at_ms: number; value: Promise<T> }>();
  // A change is invalidated before its transaction commits; until it surely has, nothing is kept.
  const bypassUntil = new Map<string, number>();
  return {
    get(tenantId: string, key: string, load: () => Promise<T>): Promise<T> {
      const k = `${tenantId}\u0000${key}`;
      const now = Date.now();
      if ((bypassUntil.get(tenantId) ?? 0) > now) return load();
      const hit = entries.get(k);
      if (hit && now - hit.at_ms < ttl_ms) return hit.value;
      const value = load();
      entries.set(k, { at_ms: now, value });
      value.catch(() => entries.get(k)?.value === value && entries.delete(k));
      return value;
    },
    invalidate(tenantId: string) {
      bypassUntil.set(tenantId, Date.now() + COMMIT_GRACE_MS);
      const prefix = `${tenantId}\u0000`;
      for (const k of entries.keys()) if (k.startsWith(prefix)) entries.delete(k);
    },
  };
}

const COMMIT_GRACE_MS = 2_000;

/** How long other processes may keep answering from configuration another process changed. */
export const CONFIG_TTL_MS = 5_000;
