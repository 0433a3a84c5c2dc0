import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv, Deps } from '../../http/context.ts';
import { defineRoute, json, jsonBody } from '../../http/route.ts';
import {
  PlanRequestSchema,
  PlanSchema,
  PolicyInputSchema,
  PolicySchema,
  PromiseAnswerSchema,
  PromiseRequestSchema,
} from './schema.ts';
import * as sourcing from './service.ts';

const tags = ['Sourcing'];

export function sourcingRoutes(app: OpenAPIHono<AppEnv>, _deps: Deps) {
  app.openapi(
    defineRoute('support', {
      method: 'get',
      path: '/v1/sourcing/policy',
      tags,
      summary: 'The sourcing policy the planner uses; the balanced preset until one is set',
      responses: { 200: json(PolicySchema, 'The policy') },
    }),
    async (c) => c.json(await sourcing.getPolicy(c.var.db, c.var.principal!.tenant_id), 200),
  );

  app.openapi(
    defineRoute('admin', {
      method: 'put',
      path: '/v1/sourcing/policy',
      tags,
      summary: 'Set the sourcing policy: a preset, optionally with its weights and limits overridden',
      request: { body: jsonBody(PolicyInputSchema) },
      responses: { 200: json(PolicySchema, 'The policy now in force') },
    }),
    async (c) => {
      const p = c.var.principal!;
      return c.json(await sourcing.setPolicy(c.var.db, p.tenant_id, p.actor, c.req.valid('json')), 200);
    },
  );

  app.openapi(
    defineRoute('support', {
      method: 'post',
      path: '/v1/sourcing/plan',
      tags,
      summary: 'Dry run: where an order would ship from, by which service, when it arrives, and why',
      description:
        'Reserves nothing. Every candidate location is listed with its score terms or the constraint ' +
        'that excluded it; `explanation.why` says why the winner won.',
      request: { body: jsonBody(PlanRequestSchema) },
      responses: { 200: json(PlanSchema, 'The plan with its explanation') },
    }),
    async (c) =>
      c.json(await sourcing.dryRunPlan(c.var.db, c.var.principal!.tenant_id, c.req.valid('json')), 200),
  );

  app.openapi(
    defineRoute('support', {
      method: 'post',
      path: '/v1/promise',
      tags,
      summary: 'Shipping options for a cart: price, delivery date and the time left to order',
      description:
        'One option per service level that stocked locations can keep within the cost ceiling, ' +
        'sorted by delivery date. An empty list means nothing can be promised now.',
      request: { body: jsonBody(PromiseRequestSchema) },
      responses: { 200: json(PromiseAnswerSchema, 'The options') },
    }),
    async (c) =>
      c.json(await sourcing.promiseOptions(c.var.db, c.var.principal!.tenant_id, c.req.valid('json')), 200),
  );
}
