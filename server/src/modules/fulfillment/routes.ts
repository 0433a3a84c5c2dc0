import { type OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { AppEnv, Deps } from '../../http/context.ts';
import { decodeCursor, pageOf, toPage } from '../../http/pagination.ts';
import { AppError } from '../../http/problem.ts';
import { defineRoute, existsFirst, json, jsonBody } from '../../http/route.ts';
import { OrderSchema } from '../orders/schema.ts';
import { getOrder } from '../orders/service.ts';
import {
  CreateShipmentSchema,
  FailSchema,
  FulfillmentListQuery,
  FulfillmentOrderSchema,
  FulfillmentSettingsSchema,
  OrderShipmentSchema,
  ShipmentSchema,
  StepSchema,
  TrackingUpdateSchema,
} from './schema.ts';
import * as fulfillment from './service.ts';

const tags = ['Fulfillment'];
const FulfillmentOrderId = z.object({
  fulfillment_order_id: z.string().max(100).openapi({ example: 'ful_01jd…' }),
});
const ShipmentId = z.object({ shipment_id: z.string().max(100).openapi({ example: 'shp_01jd…' }) });
const OrderId = z.object({ order_id: z.string().max(100).openapi({ example: 'ord_01jd…' }) });
const SettingsAnswer = FulfillmentSettingsSchema.extend({ updated_at: z.string().nullable() }).openapi(
  'FulfillmentSettingsAnswer',
);
const ShippedAnswer = z
  .object({ fulfillment_order: FulfillmentOrderSchema, shipment: ShipmentSchema })
  .openapi('ShipmentCreated');

const tenant = (c: Context<AppEnv>) => c.var.principal!.tenant_id;
const actor = (c: Context<AppEnv>) => c.var.principal!.actor;
const foId = (c: Context<AppEnv>) => c.req.param('fulfillment_order_id')!;
const shipmentId = (c: Context<AppEnv>) => c.req.param('shipment_id')!;
const orderId = (c: Context<AppEnv>) => c.req.param('order_id')!;

/** The pick queue's cursor: the last row's ship-by date and id. */
function afterKey(cursor: string | undefined) {
  const key = decodeCursor(cursor);
  if (key === undefined) return undefined;
  const [ship_by, id] = key.split('\u0000');
  if (!ship_by || !id || !/^\d{4}-\d{2}-\d{2}$/.test(ship_by))
    throw new AppError('validation-error', 'query.cursor is not a cursor this API issued.');
  return { ship_by, id };
}

export function fulfillmentRoutes(app: OpenAPIHono<AppEnv>, _deps: Deps) {
  const foExists = existsFirst(app, (c, t) => fulfillment.getFulfillmentOrder(c.var.db, t, foId(c)));
  const shipmentExists = existsFirst(app, (c, t) => fulfillment.getShipment(c.var.db, t, shipmentId(c)));
  const orderExists = existsFirst(app, (c, t) => getOrder(c.var.db, t, orderId(c)));

  app.openapi(
    defineRoute('support', {
      method: 'get',
      path: '/v1/fulfillment-settings',
      tags,
      summary: 'Packing slip branding and whether new fulfillment orders are assigned at once',
      responses: { 200: json(SettingsAnswer, 'The settings (defaults until changed)') },
    }),
    async (c) => c.json(await fulfillment.getSettings(c.var.db, tenant(c)), 200),
  );

  app.openapi(
    defineRoute('admin', {
      method: 'put',
      path: '/v1/fulfillment-settings',
      tags,
      summary: 'Replace the fulfillment settings',
      request: { body: jsonBody(FulfillmentSettingsSchema) },
      responses: { 200: json(SettingsAnswer, 'Saved') },
    }),
    async (c) =>
      c.json(await fulfillment.setSettings(c.var.db, tenant(c), actor(c), c.req.valid('json')), 200),
  );

  app.openapi(
    defineRoute('manager', {
      method: 'post',
      path: '/v1/orders/{order_id}/release',
      tags,
      summary: 'Release the allocated units to fulfillment',
      description:
        'Never while on hold. Each location holding units of the order (or of its consolidation group) gets one fulfillment order, assigned to it at once unless `auto_assign` is off.',
      request: { params: OrderId, body: jsonBody(z.strictObject({}).openapi('ReleaseRequest')) },
      responses: { 200: json(OrderSchema, 'The order after the change') },
    }),
    async (c) =>
      c.json((await fulfillment.releaseOrder(c.var.db, tenant(c), actor(c), orderId(c))) as never, 200),
    orderExists,
  );

  app.openapi(
    defineRoute('support', {
      method: 'get',
      path: '/v1/orders/{order_id}/shipments',
      tags,
      summary: 'The order’s shipments with their tracking: “Shipment 1 of 2 delivered”',
      request: { params: OrderId },
      responses: {
        200: json(z.object({ data: z.array(OrderShipmentSchema) }).openapi('OrderShipments'), 'Shipments'),
      },
    }),
    async (c) =>
      c.json({ data: await fulfillment.orderShipments(c.var.db, tenant(c), orderId(c)) } as never, 200),
  );

  app.openapi(
    defineRoute('support', {
      method: 'get',
      path: '/v1/fulfillment-orders',
      tags,
      summary: 'Fulfillment orders, earliest ship-by date first (the pick queue)',
      request: { query: FulfillmentListQuery },
      responses: { 200: json(pageOf(FulfillmentOrderSchema).openapi('FulfillmentOrderPage'), 'A page') },
    }),
    async (c) => {
      const { limit, cursor, ...filter } = c.req.valid('query');
      const rows = await fulfillment.listFulfillmentOrders(
        c.var.db,
        tenant(c),
        filter,
        afterKey(cursor),
        limit,
      );
      return c.json(toPage(rows, limit, (r) => `${r.ship_by}\u0000${r.fulfillment_order_id}`) as never, 200);
    },
  );

  app.openapi(
    defineRoute('support', {
      method: 'get',
      path: '/v1/fulfillment-orders/{fulfillment_order_id}',
      tags,
      summary: 'A fulfillment order with its items',
      request: { params: FulfillmentOrderId },
      responses: { 200: json(FulfillmentOrderSchema, 'The fulfillment order') },
    }),
    async (c) => c.json((await fulfillment.getFulfillmentOrder(c.var.db, tenant(c), foId(c))) as never, 200),
  );

  app.openapi(
    defineRoute('manager', {
      method: 'post',
      path: '/v1/fulfillment-orders/{fulfillment_order_id}/status',
      tags,
      summary: 'Move a fulfillment order forward: assigned, picking, packed',
      description:
        'Steps may be skipped forward, never taken back. From picking on, its units cannot be cancelled.',
      request: { params: FulfillmentOrderId, body: jsonBody(StepSchema) },
      responses: { 200: json(FulfillmentOrderSchema, 'The fulfillment order after the step') },
    }),
    async (c) =>
      c.json(
        (await fulfillment.step(c.var.db, tenant(c), actor(c), foId(c), c.req.valid('json'))) as never,
        200,
      ),
    foExists,
  );

  app.openapi(
    defineRoute('manager', {
      method: 'post',
      path: '/v1/fulfillment-orders/{fulfillment_order_id}/fail',
      tags,
      summary: 'The location cannot fulfil: void its reservations and route the units elsewhere',
      request: { params: FulfillmentOrderId, body: jsonBody(FailSchema) },
      responses: { 200: json(FulfillmentOrderSchema, 'The failed fulfillment order') },
    }),
    async (c) =>
      c.json(
        (await fulfillment.fail(c.var.db, tenant(c), actor(c), foId(c), c.req.valid('json').reason)) as never,
        200,
      ),
    foExists,
  );

  app.openapi(
    defineRoute('manager', {
      method: 'post',
      path: '/v1/fulfillment-orders/{fulfillment_order_id}/shipments',
      tags,
      summary: 'Ship some or all of a fulfillment order',
      description:
        'Posts the shipped units’ reservations (reserved → out) and counts them shipped on their orders, in one transaction, and publishes `fulfillment_request.completed`; its sequence number is what a stock import quotes as `covers_through_seq`.',
      request: { params: FulfillmentOrderId, body: jsonBody(CreateShipmentSchema) },
      responses: { 201: json(ShippedAnswer, 'The shipment and the fulfillment order after it') },
    }),
    async (c) =>
      c.json(
        (await fulfillment.ship(c.var.db, tenant(c), actor(c), foId(c), c.req.valid('json'))) as never,
        201,
      ),
    foExists,
  );

  app.openapi(
    defineRoute('support', {
      method: 'get',
      path: '/v1/fulfillment-orders/{fulfillment_order_id}/packing-slip',
      tags,
      summary: 'The packing slip (PDF) with the merchant’s branding, the items and the service level',
      request: { params: FulfillmentOrderId },
      responses: {
        200: {
          description: 'A PDF',
          content: { 'application/pdf': { schema: z.string().openapi({ format: 'binary' }) } },
        },
      },
    }),
    async (c) => {
      const { filename, pdf } = await fulfillment.packingSlip(c.var.db, tenant(c), foId(c));
      return c.body(new Uint8Array(pdf), 200, {
        'content-type': 'application/pdf',
        'content-disposition': `inline; filename="${filename}"`,
      }) as never;
    },
  );

  app.openapi(
    defineRoute('support', {
      method: 'get',
      path: '/v1/shipments/{shipment_id}',
      tags,
      summary: 'A shipment with its tracking events',
      request: { params: ShipmentId },
      responses: { 200: json(ShipmentSchema, 'The shipment') },
    }),
    async (c) => c.json((await fulfillment.getShipment(c.var.db, tenant(c), shipmentId(c))) as never, 200),
  );

  app.openapi(
    defineRoute('manager', {
      method: 'post',
      path: '/v1/shipments/{shipment_id}/tracking',
      tags,
      summary: 'A tracking update: in transit, out for delivery, delivered, or an exception with a new date',
      description:
        'Replays (same status and time) change nothing. Delivered counts the units delivered on their orders; a new estimate past the promised date flags the orders at risk.',
      request: { params: ShipmentId, body: jsonBody(TrackingUpdateSchema) },
      responses: { 200: json(ShipmentSchema, 'The shipment after the update') },
    }),
    async (c) =>
      c.json(
        (await fulfillment.track(c.var.db, tenant(c), actor(c), shipmentId(c), c.req.valid('json'))) as never,
        200,
      ),
    shipmentExists,
  );
}
