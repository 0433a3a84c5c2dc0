import { type OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppEnv, Deps } from '../../http/context.ts';
import { defineRoute, json, jsonBody } from '../../http/route.ts';
import { ZONES } from '../network/geo.ts';
import { DEFAULT_REBALANCE_OPTIONS, rebalancePlan } from './rebalance.ts';
import { rebalanceInputs } from './rebalance-inputs.ts';
import { Sku } from './schema.ts';

const LocationId = z.string().min(1).max(100);
const MAX_MAP_ENTRIES = 1_000;
const limitEntries = (v: Record<string, unknown>) => Object.keys(v).length <= MAX_MAP_ENTRIES;

export const RebalanceRequestSchema = z
  .strictObject({
    skus: z.array(Sku).min(1).max(500).optional(),
    window_days: z.number().int('Whole days.').min(1).max(365).default(28),
    target_days: z.number().positive().max(365).default(DEFAULT_REBALANCE_OPTIONS.target_days),
    max_cost_share: z.number().min(0).max(10).default(DEFAULT_REBALANCE_OPTIONS.max_cost_share),
    min_transfer_units: z
      .number()
      .int('Whole units.')
      .min(1)
      .max(100_000)
      .default(DEFAULT_REBALANCE_OPTIONS.min_transfer_units),
    seasonal_factors: z
      .record(Sku, z.number().min(0).max(100))
      .refine(limitEntries, `At most ${MAX_MAP_ENTRIES} SKUs.`)
      .optional(),
    storage_capacity_units: z
      .record(LocationId, z.number().int('Whole units.').min(0))
      .refine(limitEntries, `At most ${MAX_MAP_ENTRIES} locations.`)
      .optional(),
  })
  .openapi('RebalanceRequest');

const Days = z.number().nullable();
const TransferSchema = z.object({
  sku: z.string(),
  from_location_id: z.string(),
  to_location_id: z.string(),
  quantity: z.number().int(),
  zone: z
    .number()
    .int()
    .min(ZONES[0])
    .max(ZONES[ZONES.length - 1]!),
  cost_per_unit: z.number(),
  cost: z.number(),
  goods_value: z.number(),
  reason: z.string(),
});

export const RebalancePlanSchema = z
  .object({
    window_days: z.number().int(),
    target_days: z.number(),
    max_cost_share: z.number(),
    min_transfer_units: z.number().int(),
    transfers: z.array(TransferSchema),
    skipped: z.array(
      z.object({
        sku: z.string(),
        from_location_id: z.string(),
        to_location_id: z.string(),
        quantity: z.number().int(),
        code: z.enum(['cost_exceeds_share', 'below_min_transfer', 'no_capacity']),
        reason: z.string(),
      }),
    ),
    effect: z.object({
      coverage_before: z.number(),
      coverage_after: z.number(),
      units_moved: z.number().int(),
      total_cost: z.number(),
      skus: z.array(
        z.object({
          sku: z.string(),
          demand_per_day: z.number(),
          coverage_before: z.number(),
          coverage_after: z.number(),
          locations: z.array(
            z.object({
              location_id: z.string(),
              demand_per_day: z.number(),
              target_units: z.number().int(),
              on_hand_before: z.number().int(),
              on_hand_after: z.number().int(),
              days_of_cover_before: Days,
              days_of_cover_after: Days,
            }),
          ),
        }),
      ),
    }),
  })
  .openapi('RebalancePlan');

export function rebalanceRoutes(app: OpenAPIHono<AppEnv>, _deps: Deps) {
  app.openapi(
    defineRoute('manager', {
      method: 'post',
      path: '/v1/inventory/rebalance-plan',
      tags: ['Inventory'],
      summary: 'Propose transfers that move surplus stock to where it sells, with their expected effect',
      description:
        'Creates nothing: review the proposal and create the transfers you agree with through ' +
        '`POST /v1/inventory/transfers`. Velocity is allocated units per day over `window_days`; ' +
        '`coverage` is the share of demand at locations holding at least `target_days` of cover.',
      request: { body: jsonBody(RebalanceRequestSchema) },
      responses: { 200: json(RebalancePlanSchema, 'The proposed transfers and their effect') },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const input = await rebalanceInputs(c.var.db, c.var.principal!.tenant_id, body);
      const options = {
        target_days: body.target_days,
        max_cost_share: body.max_cost_share,
        min_transfer_units: body.min_transfer_units,
      };
      return c.json({ window_days: body.window_days, ...options, ...rebalancePlan(input, options) }, 200);
    },
  );
}
