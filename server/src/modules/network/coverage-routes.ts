import { type OpenAPIHono, z } from '@hono/zod-openapi';
import type { Queryable } from '../../db/pool.ts';
import type { AppEnv, Deps } from '../../http/context.ts';
import { defineRoute, json } from '../../http/route.ts';
import { type CoverageLocation, groundCoverage } from './coverage.ts';
import { bundledPopulationCells, POPULATION_WEIGHT } from './population.ts';
import { invalid, networkSnapshot } from './service.ts';
import * as store from './store.ts';

const MAX_LOCATIONS = 200;

export const CoverageQuery = z.object({
  location_id: z
    .string()
    .max(MAX_LOCATIONS * 101)
    .optional()
    .openapi({
      description: `Comma-separated location ids (at most ${MAX_LOCATIONS}); default: every active location`,
      example: 'loc_a,loc_b',
    }),
});

const Share = z.number().min(0).max(1);
export const CoverageSharesSchema = z
  .object({
    within_1_day: Share,
    within_2_days: Share,
    within_3_days: Share,
    unreachable: Share.openapi({ description: 'No ground service reaches it from the set at all' }),
  })
  .openapi('CoverageShares', { description: 'Shares of the total weight, from 0 to 1' });

export const CoverageReportSchema = z
  .object({
    weight: z.object({
      name: z.literal(POPULATION_WEIGHT.name),
      description: z.string(),
      total: z.number().openapi({ description: 'The whole weight: the people counted' }),
    }),
    location_ids: z.array(z.string()),
    overall: CoverageSharesSchema,
    by_location: z.array(z.object({ location_id: z.string(), shares: CoverageSharesSchema })),
    unreachable_zip3s: z.array(z.string()),
  })
  .openapi('CoverageReport');

export type CoverageAnswer = z.infer<typeof CoverageReportSchema>;

/** Parses `a,b` into distinct ids, or a 422 naming `query.location_id`. */
function parseIds(raw: string | undefined): string[] | undefined {
  if (raw === undefined) return undefined;
  const ids = [...new Set(raw.split(',').map((s) => s.trim()))];
  if (ids.some((id) => id.length === 0 || id.length > 100)) {
    throw invalid('query.location_id', 'Comma-separated location ids, none empty.');
  }
  if (ids.length > MAX_LOCATIONS) {
    throw invalid('query.location_id', `At most ${MAX_LOCATIONS} locations.`);
  }
  return ids;
}

/**
 * Ground coverage of a tenant's location set (default: every active location). An inactive
 * location may be named; it reaches nothing. An unknown id is a 422.
 */
export async function coverageReport(db: Queryable, tenantId: string, locationIds?: string[]) {
  const snapshot = await networkSnapshot(db, tenantId);
  let locations: readonly CoverageLocation[] = snapshot.locations;
  if (locationIds) {
    const active = new Map(snapshot.locations.map((l) => [l.location_id, l]));
    const found = new Map(
      (await store.findLocationsByIds(db, tenantId, locationIds)).map((l) => [l.location_id, l]),
    );
    const unknown = locationIds.filter((id) => !found.has(id));
    if (unknown.length > 0) throw invalid('query.location_id', `No location ${unknown.join(', ')}.`);
    locations = locationIds.map((id) => active.get(id) ?? { ...found.get(id)!, zones: {} });
  }
  const report = groundCoverage(locations, snapshot.services, bundledPopulationCells());
  return {
    weight: { ...POPULATION_WEIGHT, total: report.total_weight },
    location_ids: locations.map((l) => l.location_id),
    overall: report.overall,
    by_location: report.by_location,
    unreachable_zip3s: report.unreachable_zip3s,
  } satisfies CoverageAnswer;
}

export function coverageRoutes(app: OpenAPIHono<AppEnv>, _deps: Deps) {
  app.openapi(
    defineRoute('support', {
      method: 'get',
      path: '/v1/network/coverage',
      tags: ['Network'],
      summary: 'Share of the US population reachable within 1, 2 and 3 business days by ground',
      description:
        'For the location set and each location alone: the fastest active ground service from any ' +
        'location that serves the destination, by zone, in carrier transit days (processing days and ' +
        'cut-offs not counted). Weighted by population: the bundled GeoNames cities of at least 1,000 ' +
        'people, each counted in its ZIP3 and shared evenly by that ZIP3’s ZIP codes.',
      request: { query: CoverageQuery },
      responses: { 200: json(CoverageReportSchema, 'Coverage of the set and of each location') },
    }),
    async (c) => {
      const ids = parseIds(c.req.valid('query').location_id);
      return c.json(await coverageReport(c.var.db, c.var.principal!.tenant_id, ids), 200);
    },
  );
}
