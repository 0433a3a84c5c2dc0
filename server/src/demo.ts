import type { Pool } from './db/pool.ts';
import { withTransaction } from './db/pool.ts';
import * as tenancy from './modules/tenancy/service.ts';

export const DEMO_TENANT_ID = 'ten_demo';
export const DEMO_ADMIN = { email: 'admin@demo.orderly.dev', password: 'orderly-demo-admin' };

/**
 * The demo tenant: an admin who can sign in to the dashboard and an admin API key. Creating it
 * twice is a no-op that answers `created: false`. Catalog, network and stock join it as those
 * modules land.
 */
export async function createDemo(pool: Pool, opts: { apiKey?: string } = {}) {
  return withTransaction(pool, async (tx) => {
    await tx.query('select pg_advisory_xact_lock(7461003)');
    const existing = await tx.query('select 1 from tenants where tenant_id = $1', [DEMO_TENANT_ID]);
    if (existing.rowCount) return { created: false as const, tenant_id: DEMO_TENANT_ID };
    await tenancy.createTenant(tx, 'Demo Outfitters', DEMO_TENANT_ID);
    const system = { type: 'system' as const, id: 'demo' };
    await tenancy.createUser(tx, DEMO_TENANT_ID, system, {
      ...DEMO_ADMIN,
      name: 'Demo Admin',
      role: 'admin',
    });
    const key = await tenancy.createApiKey(
      tx,
      DEMO_TENANT_ID,
      system,
      { name: 'demo admin key', role: 'admin' },
      opts.apiKey,
    );
    return { created: true as const, tenant_id: DEMO_TENANT_ID, api_key: key.key };
  });
}

export async function hasAnyTenant(pool: Pool): Promise<boolean> {
  const { rowCount } = await pool.query('select 1 from tenants limit 1');
  return (rowCount ?? 0) > 0;
}
