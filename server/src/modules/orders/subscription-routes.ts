import { type OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { AppEnv, Deps } from '../../http/context.ts';
import { decodeCursor, pageOf, toPage } from '../../http/pagination.ts';
import { defineRoute, existsFirst, json } from '../../http/route.ts';
import {
  SubscriptionActionSchema,
  SubscriptionDetailSchema,
  SubscriptionListQuery,
  SubscriptionSchema,
} from './subscription-schema.ts';
import * as subscriptions from './subscriptions.ts';

const tags = ['Subscriptions'];
const SubscriptionId = z.object({
  subscription_id: z.string().max(100).openapi({ example: 'sub_01jd…' }),
});

const tenant = (c: Context<AppEnv>) => c.var.principal!.tenant_id;
const subscriptionId = (c: Context<AppEnv>) => c.req.param('subscription_id')!;

const ACTIONS: Record<subscriptions.SubscriptionAction, string> = {
  pause: 'Pause: no cycle is placed until it is resumed',
  resume: 'Resume: the next cycle is the first boundary from now; cycles missed while paused are not placed',
  skip: 'Skip the next cycle only (one skip at a time)',
  cancel: 'Cancel: no cycle is ever placed again (orders already placed are not touched)',
};

export function subscriptionRoutes(app: OpenAPIHono<AppEnv>, _deps: Deps) {
  const exists = existsFirst(app, (c, tenantId) =>
    subscriptions.getSubscription(c.var.db, tenantId, subscriptionId(c)),
  );

  app.openapi(
    defineRoute('support', {
      method: 'get',
      path: '/v1/subscriptions',
      tags,
      summary: 'Subscriptions, newest first, optionally by status',
      request: { query: SubscriptionListQuery },
      responses: {
        200: json(pageOf(SubscriptionSchema).openapi('SubscriptionPage'), 'A page of subscriptions'),
      },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const rows = await subscriptions.listSubscriptions(
        c.var.db,
        tenant(c),
        { status: q.status },
        decodeCursor(q.cursor),
        q.limit + 1,
      );
      return c.json(
        toPage(rows, q.limit, (s) => s.subscription_id),
        200,
      );
    },
  );

  app.openapi(
    defineRoute('support', {
      method: 'get',
      path: '/v1/subscriptions/{subscription_id}',
      tags,
      summary: 'One subscription with its schedule, template and the orders it placed',
      request: { params: SubscriptionId },
      responses: { 200: json(SubscriptionDetailSchema, 'The subscription') },
    }),
    async (c) => c.json(await subscriptions.getSubscription(c.var.db, tenant(c), subscriptionId(c)), 200),
  );

  for (const [action, summary] of Object.entries(ACTIONS) as [subscriptions.SubscriptionAction, string][]) {
    app.openapi(
      defineRoute('manager', {
        method: 'post',
        path: `/v1/subscriptions/{subscription_id}/${action}`,
        tags,
        summary,
        description:
          'A change the current status does not allow answers 409 with `current_status` and `allowed_actions`.',
        request: {
          params: SubscriptionId,
          body: { required: false, content: { 'application/json': { schema: SubscriptionActionSchema } } },
        },
        responses: { 200: json(SubscriptionSchema, 'The subscription after the change') },
      }),
      async (c) => {
        const body = c.req.valid('json') ?? {};
        const p = c.var.principal!;
        const s = await subscriptions.changeSubscription(
          c.var.db,
          p.tenant_id,
          p.actor,
          subscriptionId(c),
          action,
          body,
        );
        return c.json(s, 200);
      },
      exists,
    );
  }
}
