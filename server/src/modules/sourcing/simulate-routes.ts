import { type OpenAPIHono, z } from '@hono/zod-openapi';
import type { Queryable } from '../../db/pool.ts';
import type { AppEnv, Deps } from '../../http/context.ts';
import { AppError, type FieldError } from '../../http/problem.ts';
import { defineRoute, json, jsonBody } from '../../http/route.ts';
import { findProducts } from '../catalog/service.ts';
import { sellableSnapshot } from '../inventory/read.ts';
import { networkSnapshot } from '../network/service.ts';
import { loadPolicy, plannerPolicy } from './inputs.ts';
import { PresetSchema } from './schema.ts';
import { type SimulatedOrder, type SimulationInput, simulate } from './simulate.ts';
import { NetworkFileSchema, networkFromFile, SimulatedOrderSchema } from './simulate-files.ts';

/**
 * `POST /v1/sourcing/simulations`: the simulator as a synchronous API job. Orders are sorted by
 * time here (a request body has no streaming order to keep). Without `network`, the tenant's live
 * network and current sellable stock are simulated, without replenishment; unit weights come from
 * the catalog. Large runs belong to `orderly simulate`.
 */

export const MAX_SIMULATED_ORDERS = 10_000;

export const SimulationRequestSchema = z
  .strictObject({
    orders: z.array(SimulatedOrderSchema).min(1, 'At least one order.').max(MAX_SIMULATED_ORDERS),
    network: NetworkFileSchema.optional().openapi({
      description:
        'A network file (as for `orderly simulate --network`); default: the live network and stock',
    }),
    policy: PresetSchema.optional().openapi({
      description: "A preset whose weights replace the tenant's for this run; the tenant's constraints stay",
    }),
  })
  .openapi('SimulationRequest');

const Share = z.number().min(0).max(1);
export const SimulationReportSchema = z
  .object({
    policy: z.string(),
    orders: z.number().int(),
    units: z.number().int(),
    promised_within_2_business_days: Share,
    delivered_within_2_business_days: Share,
    average_zone: z.number().nullable(),
    shipping_cost_per_order: z.number(),
    split_rate: Share,
    backorder_rate: Share,
    units_backordered: z.number().int(),
    orders_unshipped: z.number().int(),
    shipments: z.number().int(),
    replenishments: z.number().int(),
    locations: z.array(
      z.object({
        location_id: z.string(),
        orders: z.number().int(),
        units: z.number().int(),
        share_of_orders: Share,
      }),
    ),
    elapsed_ms: z.number(),
    orders_per_second: z.number(),
  })
  .openapi('SimulationReport');

/** The tenant's live network, current sellable stock and catalog weights for the orders' SKUs. */
async function liveNetwork(
  db: Queryable,
  tenantId: string,
  orders: readonly SimulatedOrder[],
): Promise<Omit<SimulationInput, 'policy'>> {
  const skus = [...new Set(orders.flatMap((o) => o.lines.map((l) => l.sku)))];
  const products = await findProducts(db, tenantId, skus);
  const errors: FieldError[] = [];
  orders.forEach((o, i) => {
    o.lines.forEach((l, j) => {
      const p = products.get(l.sku);
      const path = `body.orders[${i}].lines[${j}].sku`;
      if (!p) errors.push({ path, message: `No product has SKU ${l.sku} (bundles are not simulated).` });
      else if (!p.active) errors.push({ path, message: `${l.sku} is retired and cannot be sold.` });
    });
  });
  const first = errors[0];
  if (first)
    throw new AppError('validation-error', `${first.path}: ${first.message}`, {
      errors: errors.slice(0, 50),
    });
  const snapshot = await networkSnapshot(db, tenantId);
  const { sellable } = await sellableSnapshot(db, tenantId, skus);
  return {
    locations: snapshot.locations,
    services: snapshot.services,
    skus: Object.fromEntries(
      [...products].map(([sku, p]) => [sku, { weight_lb: p.weight_lb, dims_in: p.dimensions }]),
    ),
    stock: sellable,
  };
}

export function simulateRoutes(app: OpenAPIHono<AppEnv>, _deps: Deps) {
  app.openapi(
    defineRoute('manager', {
      method: 'post',
      path: '/v1/sourcing/simulations',
      tags: ['Sourcing'],
      summary: 'Replay orders through the network with the real planner and a simulated stock',
      description:
        'Synchronous: answers the report when the run ends. Each order is planned at its own `at`, ' +
        'its shipped units leave the simulated stock, and the report counts promises and deliveries ' +
        `within 2 business days, zones, cost, splits, backorders and load per location. At most ` +
        `${MAX_SIMULATED_ORDERS} orders (and the request body limit); larger runs belong to ` +
        '`orderly simulate`. Nothing is written.',
      request: { body: jsonBody(SimulationRequestSchema) },
      responses: { 200: json(SimulationReportSchema, 'The simulation report') },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const tenantId = c.var.principal!.tenant_id;
      const orders = [...body.orders].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
      const network = body.network
        ? networkFromFile(body.network)
        : await liveNetwork(c.var.db, tenantId, body.orders);
      const policy = plannerPolicy(await loadPolicy(c.var.db, tenantId), body.policy);
      return c.json(simulate({ ...network, policy }, orders), 200);
    },
  );
}
