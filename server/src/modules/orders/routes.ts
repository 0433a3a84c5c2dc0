import { type OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { AppEnv, Deps } from '../../http/context.ts';
import { defineRoute, existsFirst, json, jsonBody } from '../../http/route.ts';
import {
  CancelSchema,
  CreateOrderSchema,
  HoldSchema,
  NoteSchema,
  OrderEventSchema,
  OrderSchema,
  OrderSettingsSchema,
  ReleaseHoldSchema,
  ReplacementSchema,
  RouteOrderSchema,
  RoutingSchema,
  UpdateOrderSchema,
} from './schema.ts';
import * as orders from './service.ts';

const tags = ['Orders'];
const OrderId = z.object({ order_id: z.string().max(100).openapi({ example: 'ord_01jd…' }) });
const SettingsAnswer = OrderSettingsSchema.extend({ updated_at: z.string().nullable() }).openapi(
  'OrderSettingsAnswer',
);

const tenant = (c: Context<AppEnv>) => c.var.principal!.tenant_id;
const actor = (c: Context<AppEnv>) => c.var.principal!.actor;
const orderId = (c: Context<AppEnv>) => c.req.param('order_id')!;

export function orderRoutes(app: OpenAPIHono<AppEnv>, _deps: Deps) {
  const exists = existsFirst(app, (c, tenantId) => orders.getOrder(c.var.db, tenantId, orderId(c)));

  app.openapi(
    defineRoute('support', {
      method: 'get',
      path: '/v1/order-settings',
      tags,
      summary: "Backorder policy, default service level and each channel's shipping methods",
      responses: { 200: json(SettingsAnswer, 'The settings (defaults until changed)') },
    }),
    async (c) => c.json(await orders.getSettings(c.var.db, tenant(c)), 200),
  );

  app.openapi(
    defineRoute('admin', {
      method: 'put',
      path: '/v1/order-settings',
      tags,
      summary: 'Replace the order settings',
      request: { body: jsonBody(OrderSettingsSchema) },
      responses: { 200: json(SettingsAnswer, 'Saved') },
    }),
    async (c) => c.json(await orders.setSettings(c.var.db, tenant(c), actor(c), c.req.valid('json')), 200),
  );

  app.openapi(
    defineRoute('manager', {
      method: 'post',
      path: '/v1/orders',
      tags,
      summary: 'Capture an order: validate, route, reserve and promise in one request',
      description:
        'Answers 201 with the order already allocated, partially allocated or backordered, its promise and its routing. ' +
        'A channel order id already captured answers 200 with the existing order and changes nothing. ' +
        'Without `channel_order_id` (a manual order) the order id is used.',
      request: {
        body: jsonBody(CreateOrderSchema),
      },
      responses: {
        201: json(OrderSchema, 'Captured'),
        200: json(OrderSchema, 'Captured before: the existing order'),
      },
    }),
    async (c) => {
      const { order, created } = await orders.captureOrder(
        c.var.db,
        tenant(c),
        actor(c),
        c.req.valid('json'),
      );
      return created ? c.json(order, 201) : c.json(order, 200);
    },
  );

  app.openapi(
    defineRoute('support', {
      method: 'get',
      path: '/v1/orders/{order_id}',
      tags,
      summary: 'One order with its lines, allocations and promise',
      request: { params: OrderId },
      responses: { 200: json(OrderSchema, 'The order') },
    }),
    async (c) => c.json(await orders.getOrder(c.var.db, tenant(c), orderId(c)), 200),
  );

  app.openapi(
    defineRoute('manager', {
      method: 'patch',
      path: '/v1/orders/{order_id}',
      tags,
      summary: 'Edit customer, notes, tags, gift message or (before release) the shipping address',
      description: 'A new shipping address in another place routes the order again and re-promises it.',
      request: { params: OrderId, body: jsonBody(UpdateOrderSchema) },
      responses: { 200: json(OrderSchema, 'The edited order') },
    }),
    async (c) =>
      c.json(await orders.updateOrder(c.var.db, tenant(c), actor(c), orderId(c), c.req.valid('json')), 200),
    exists,
  );

  app.openapi(
    defineRoute('support', {
      method: 'get',
      path: '/v1/orders/{order_id}/timeline',
      tags,
      summary: 'The audit trail: every status change, edit, hold, note and routing, oldest first',
      request: { params: OrderId },
      responses: {
        200: json(z.object({ data: z.array(OrderEventSchema) }).openapi('OrderTimeline'), 'Events'),
      },
    }),
    async (c) => c.json({ data: await orders.timeline(c.var.db, tenant(c), orderId(c)) } as never, 200),
  );

  app.openapi(
    defineRoute('support', {
      method: 'get',
      path: '/v1/orders/{order_id}/routing',
      tags,
      summary: 'The routing log: each plan the order was given, with its full explanation',
      request: { params: OrderId },
      responses: {
        200: json(z.object({ data: z.array(RoutingSchema) }).openapi('OrderRoutingLog'), 'Routings'),
      },
    }),
    async (c) => c.json({ data: await orders.routings(c.var.db, tenant(c), orderId(c)) } as never, 200),
  );

  const action = <S extends z.ZodType>(
    path: string,
    summary: string,
    body: S,
    run: (c: Context<AppEnv>, input: z.infer<S>) => Promise<unknown>,
    description?: string,
  ) =>
    app.openapi(
      defineRoute('manager', {
        method: 'post',
        path: `/v1/orders/{order_id}/${path}`,
        tags,
        summary,
        ...(description && { description }),
        request: { params: OrderId, body: jsonBody(body) },
        responses: { 200: json(OrderSchema, 'The order after the change') },
      }),
      async (c) => c.json((await run(c, c.req.valid('json' as never) as z.infer<S>)) as never, 200),
      exists,
    );

  action(
    'hold',
    'Put the order on hold with a reason (it is never released to fulfillment while held)',
    HoldSchema,
    (c, b) => orders.hold(c.var.db, tenant(c), actor(c), orderId(c), b.reason),
  );
  action('release-hold', 'Release the hold', ReleaseHoldSchema, (c, b) =>
    orders.releaseHold(c.var.db, tenant(c), actor(c), orderId(c), b.note),
  );
  action(
    'cancel',
    'Cancel the whole order or some quantity of some lines',
    CancelSchema,
    (c, b) => orders.cancel(c.var.db, tenant(c), actor(c), orderId(c), b),
    'Only units not shipped can be cancelled; their stock goes back. Totals become what remains and `refund_due` grows by what was cancelled (discount and tax pro rata; shipping when nothing is left).',
  );
  action(
    'route',
    'Route the order again, automatically or to a named location, with a reason',
    RouteOrderSchema,
    (c, b) => orders.reroute(c.var.db, tenant(c), actor(c), orderId(c), b),
    "Releases the order's stock and reserves it again in one transaction. With `location_id`, every open unit must fit there or nothing changes (409).",
  );

  app.openapi(
    defineRoute('manager', {
      method: 'post',
      path: '/v1/orders/{order_id}/notes',
      tags,
      summary: "Add a note to the order's timeline",
      request: { params: OrderId, body: jsonBody(NoteSchema) },
      responses: { 201: json(z.object({ ok: z.literal(true) }), 'Noted') },
    }),
    async (c) =>
      c.json(await orders.addNote(c.var.db, tenant(c), actor(c), orderId(c), c.req.valid('json').note), 201),
    exists,
  );

  app.openapi(
    defineRoute('manager', {
      method: 'post',
      path: '/v1/orders/{order_id}/replacements',
      tags,
      summary: 'Ship a replacement: a new order at no charge, linked to this one',
      request: { params: OrderId, body: jsonBody(ReplacementSchema) },
      responses: { 201: json(OrderSchema, 'The replacement order') },
    }),
    async (c) =>
      c.json(await orders.replace(c.var.db, tenant(c), actor(c), orderId(c), c.req.valid('json')), 201),
    exists,
  );
}
