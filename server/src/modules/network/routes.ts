import { type OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppEnv, Deps } from '../../http/context.ts';
import { decodeCursor, pageOf, toPage } from '../../http/pagination.ts';
import { defineRoute, existsFirst, json, jsonBody } from '../../http/route.ts';
import { carrierRoutes } from './carrier-routes.ts';
import { flag } from './route-helpers.ts';
import {
  CreateLocationSchema,
  LocationQuery,
  LocationSchema,
  UpdateLocationSchema,
  ZoneAnswerSchema,
  ZoneQuery,
} from './schema.ts';
import * as network from './service.ts';

const tags = ['Network'];
const LocationId = z.object({ location_id: z.string().max(100) });

export function networkRoutes(app: OpenAPIHono<AppEnv>, _deps: Deps) {
  const locationFirst = existsFirst(app, (c, t) =>
    network.getLocation(c.var.db, t, c.req.param('location_id')!),
  );

  app.openapi(
    defineRoute('support', {
      method: 'get',
      path: '/v1/locations',
      tags,
      summary: 'List locations, optionally by type or active flag',
      request: { query: LocationQuery },
      responses: { 200: json(pageOf(LocationSchema).openapi('LocationPage'), 'A page of locations') },
    }),
    async (c) => {
      const { limit, cursor, type, active } = c.req.valid('query');
      const rows = await network.listLocations(
        c.var.db,
        c.var.principal!.tenant_id,
        { type, active: flag(active) },
        decodeCursor(cursor),
        limit + 1,
      );
      return c.json(
        toPage(rows, limit, (l) => l.location_id),
        200,
      );
    },
  );

  app.openapi(
    defineRoute('manager', {
      method: 'post',
      path: '/v1/locations',
      tags,
      summary: 'Add a location; coordinates and time zone default from its postal code',
      request: { body: jsonBody(CreateLocationSchema) },
      responses: { 201: json(LocationSchema, 'Created') },
    }),
    async (c) => {
      const p = c.var.principal!;
      return c.json(await network.createLocation(c.var.db, p.tenant_id, p.actor, c.req.valid('json')), 201);
    },
  );

  app.openapi(
    defineRoute('support', {
      method: 'get',
      path: '/v1/locations/{location_id}',
      tags,
      summary: 'Get a location',
      request: { params: LocationId },
      responses: { 200: json(LocationSchema, 'The location') },
    }),
    async (c) =>
      c.json(
        await network.getLocation(c.var.db, c.var.principal!.tenant_id, c.req.valid('param').location_id),
        200,
      ),
  );

  app.openapi(
    defineRoute('manager', {
      method: 'patch',
      path: '/v1/locations/{location_id}',
      tags,
      summary: 'Change a location; `active: false` deactivates it (locations are never deleted)',
      request: { params: LocationId, body: jsonBody(UpdateLocationSchema) },
      responses: { 200: json(LocationSchema, 'Updated') },
    }),
    async (c) => {
      const p = c.var.principal!;
      const location = await network.updateLocation(
        c.var.db,
        p.tenant_id,
        p.actor,
        c.req.valid('param').location_id,
        c.req.valid('json'),
      );
      return c.json(location, 200);
    },
    locationFirst,
  );

  app.openapi(
    defineRoute('support', {
      method: 'get',
      path: '/v1/locations/{location_id}/zones',
      tags,
      summary: 'The shipping zone and distance from a location to a US ZIP code',
      request: { params: LocationId, query: ZoneQuery },
      responses: { 200: json(ZoneAnswerSchema, 'Zone and distance') },
    }),
    async (c) => {
      const { location_id } = c.req.valid('param');
      const { postal_code } = c.req.valid('query');
      const zone = await network.zoneFor(c.var.db, c.var.principal!.tenant_id, location_id, postal_code);
      if (!zone) {
        throw network.invalid(
          'query.postal_code',
          `No zone to ${postal_code}: zones are measured from US locations to US ZIP codes in the bundled data.`,
        );
      }
      return c.json(zone, 200);
    },
    locationFirst,
  );

  carrierRoutes(app);
}
