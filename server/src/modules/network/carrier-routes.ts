import { type OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppEnv } from '../../http/context.ts';
import { decodeCursor, pageOf, toPage } from '../../http/pagination.ts';
import { defineRoute, existsFirst, json, jsonBody } from '../../http/route.ts';
import * as carriers from './carriers.ts';
import { flag } from './route-helpers.ts';
import {
  ActiveQuery,
  CarrierSchema,
  CarrierServiceSchema,
  CreateCarrierSchema,
  CreateCarrierServiceSchema,
  UpdateCarrierSchema,
  UpdateCarrierServiceSchema,
} from './schema.ts';

const tags = ['Network'];
const CarrierId = z.object({ carrier_id: z.string().max(100) });
const ServiceId = CarrierId.extend({ service_id: z.string().max(100) });

export function carrierRoutes(app: OpenAPIHono<AppEnv>) {
  const carrierFirst = existsFirst(app, (c, t) =>
    carriers.getCarrier(c.var.db, t, c.req.param('carrier_id')!),
  );
  const serviceFirst = existsFirst(app, (c, t) =>
    carriers.getService(c.var.db, t, c.req.param('carrier_id')!, c.req.param('service_id')!),
  );

  app.openapi(
    defineRoute('support', {
      method: 'get',
      path: '/v1/carriers',
      tags,
      summary: 'List carriers',
      request: { query: ActiveQuery },
      responses: { 200: json(pageOf(CarrierSchema).openapi('CarrierPage'), 'A page of carriers') },
    }),
    async (c) => {
      const { limit, cursor, active } = c.req.valid('query');
      const rows = await carriers.listCarriers(
        c.var.db,
        c.var.principal!.tenant_id,
        flag(active),
        decodeCursor(cursor),
        limit + 1,
      );
      return c.json(
        toPage(rows, limit, (r) => r.carrier_id),
        200,
      );
    },
  );

  app.openapi(
    defineRoute('manager', {
      method: 'post',
      path: '/v1/carriers',
      tags,
      summary: 'Add a carrier with its holiday calendar',
      request: { body: jsonBody(CreateCarrierSchema) },
      responses: { 201: json(CarrierSchema, 'Created') },
    }),
    async (c) => {
      const p = c.var.principal!;
      return c.json(await carriers.createCarrier(c.var.db, p.tenant_id, p.actor, c.req.valid('json')), 201);
    },
  );

  app.openapi(
    defineRoute('support', {
      method: 'get',
      path: '/v1/carriers/{carrier_id}',
      tags,
      summary: 'Get a carrier',
      request: { params: CarrierId },
      responses: { 200: json(CarrierSchema, 'The carrier') },
    }),
    async (c) =>
      c.json(
        await carriers.getCarrier(c.var.db, c.var.principal!.tenant_id, c.req.valid('param').carrier_id),
        200,
      ),
  );

  app.openapi(
    defineRoute('manager', {
      method: 'patch',
      path: '/v1/carriers/{carrier_id}',
      tags,
      summary: 'Change a carrier; `active: false` takes all its services out of planning',
      request: { params: CarrierId, body: jsonBody(UpdateCarrierSchema) },
      responses: { 200: json(CarrierSchema, 'Updated') },
    }),
    async (c) => {
      const p = c.var.principal!;
      const carrier = await carriers.updateCarrier(
        c.var.db,
        p.tenant_id,
        p.actor,
        c.req.valid('param').carrier_id,
        c.req.valid('json'),
      );
      return c.json(carrier, 200);
    },
    carrierFirst,
  );

  app.openapi(
    defineRoute('support', {
      method: 'get',
      path: '/v1/carriers/{carrier_id}/services',
      tags,
      summary: 'List a carrier’s services',
      request: { params: CarrierId, query: ActiveQuery },
      responses: {
        200: json(pageOf(CarrierServiceSchema).openapi('CarrierServicePage'), 'A page of services'),
      },
    }),
    async (c) => {
      const { limit, cursor, active } = c.req.valid('query');
      const rows = await carriers.listServices(
        c.var.db,
        c.var.principal!.tenant_id,
        c.req.valid('param').carrier_id,
        flag(active),
        decodeCursor(cursor),
        limit + 1,
      );
      return c.json(
        toPage(rows, limit, (s) => s.service_id),
        200,
      );
    },
    carrierFirst,
  );

  app.openapi(
    defineRoute('manager', {
      method: 'post',
      path: '/v1/carriers/{carrier_id}/services',
      tags,
      summary: 'Add a service (e.g. Ground, 2-Day) with transit days and rates by zone',
      request: { params: CarrierId, body: jsonBody(CreateCarrierServiceSchema) },
      responses: { 201: json(CarrierServiceSchema, 'Created') },
    }),
    async (c) => {
      const p = c.var.principal!;
      const service = await carriers.createService(
        c.var.db,
        p.tenant_id,
        p.actor,
        c.req.valid('param').carrier_id,
        c.req.valid('json'),
      );
      return c.json(service, 201);
    },
    carrierFirst,
  );

  app.openapi(
    defineRoute('support', {
      method: 'get',
      path: '/v1/carriers/{carrier_id}/services/{service_id}',
      tags,
      summary: 'Get a carrier service',
      request: { params: ServiceId },
      responses: { 200: json(CarrierServiceSchema, 'The service') },
    }),
    async (c) => {
      const { carrier_id, service_id } = c.req.valid('param');
      return c.json(
        await carriers.getService(c.var.db, c.var.principal!.tenant_id, carrier_id, service_id),
        200,
      );
    },
  );

  app.openapi(
    defineRoute('manager', {
      method: 'patch',
      path: '/v1/carriers/{carrier_id}/services/{service_id}',
      tags,
      summary: 'Change a carrier service; `active: false` takes it out of planning',
      request: { params: ServiceId, body: jsonBody(UpdateCarrierServiceSchema) },
      responses: { 200: json(CarrierServiceSchema, 'Updated') },
    }),
    async (c) => {
      const p = c.var.principal!;
      const { carrier_id, service_id } = c.req.valid('param');
      const service = await carriers.updateService(
        c.var.db,
        p.tenant_id,
        p.actor,
        carrier_id,
        service_id,
        c.req.valid('json'),
      );
      return c.json(service, 200);
    },
    serviceFirst,
  );
}
