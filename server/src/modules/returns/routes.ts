import { type OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { AppEnv, Deps } from '../../http/context.ts';
import { decodeCursor, pageOf, toPage } from '../../http/pagination.ts';
import { defineRoute, existsFirst, json, jsonBody } from '../../http/route.ts';
import {
  CreateReturnSchema,
  DecisionSchema,
  ReceiveSchema,
  RejectSchema,
  ReturnListQuery,
  ReturnSchema,
  ReturnSettingsSchema,
} from './schema.ts';
import * as returns from './service.ts';

const tags = ['Returns'];
const ReturnId = z.object({ return_id: z.string().max(100).openapi({ example: 'ret_01jd…' }) });
const SettingsAnswer = ReturnSettingsSchema.extend({ updated_at: z.string().nullable() }).openapi(
  'ReturnSettingsAnswer',
);

const tenant = (c: Context<AppEnv>) => c.var.principal!.tenant_id;
const actor = (c: Context<AppEnv>) => c.var.principal!.actor;
const returnId = (c: Context<AppEnv>) => c.req.param('return_id')!;

export function returnRoutes(app: OpenAPIHono<AppEnv>, _deps: Deps) {
  const exists = existsFirst(app, (c, t) => returns.getReturn(c.var.db, t, returnId(c)));

  app.openapi(
    defineRoute('support', {
      method: 'get',
      path: '/v1/return-settings',
      tags,
      summary: 'Return window, auto-approval, shipping refund rule, restocking fee and the workflow’s waits',
      responses: { 200: json(SettingsAnswer, 'The settings (defaults until changed)') },
    }),
    async (c) => c.json(await returns.getSettings(c.var.db, tenant(c)), 200),
  );

  app.openapi(
    defineRoute('admin', {
      method: 'put',
      path: '/v1/return-settings',
      tags,
      summary: 'Replace the return settings',
      request: { body: jsonBody(ReturnSettingsSchema) },
      responses: { 200: json(SettingsAnswer, 'Saved') },
    }),
    async (c) => c.json(await returns.setSettings(c.var.db, tenant(c), actor(c), c.req.valid('json')), 200),
  );

  app.openapi(
    defineRoute('manager', {
      method: 'post',
      path: '/v1/returns',
      tags,
      summary: 'Request a return of shipped units',
      description:
        'Each line must be within the return window (days from delivery, in the tenant’s time zone) and not final sale. The refund is estimated; the nearest active location that accepts returns is chosen. Auto-approval rules may approve it at once, which starts the return workflow (label, wait, refund, close).',
      request: { body: jsonBody(CreateReturnSchema) },
      responses: { 201: json(ReturnSchema, 'The return') },
    }),
    async (c) =>
      c.json((await returns.requestReturn(c.var.db, tenant(c), actor(c), c.req.valid('json'))) as never, 201),
  );

  app.openapi(
    defineRoute('support', {
      method: 'get',
      path: '/v1/returns',
      tags,
      summary: 'Returns, newest first',
      request: { query: ReturnListQuery },
      responses: { 200: json(pageOf(ReturnSchema).openapi('ReturnPage'), 'A page') },
    }),
    async (c) => {
      const { limit, cursor, ...filter } = c.req.valid('query');
      const rows = await returns.listReturns(c.var.db, tenant(c), filter, decodeCursor(cursor), limit);
      return c.json(toPage(rows, limit, (r) => r.return_id) as never, 200);
    },
  );

  app.openapi(
    defineRoute('support', {
      method: 'get',
      path: '/v1/returns/{return_id}',
      tags,
      summary: 'A return',
      request: { params: ReturnId },
      responses: { 200: json(ReturnSchema, 'The return') },
    }),
    async (c) => c.json((await returns.getReturn(c.var.db, tenant(c), returnId(c))) as never, 200),
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
        path: `/v1/returns/{return_id}/${path}`,
        tags,
        summary,
        ...(description && { description }),
        request: { params: ReturnId, body: jsonBody(body) },
        responses: { 200: json(ReturnSchema, 'The return after the change') },
      }),
      async (c) => c.json((await run(c, c.req.valid('json' as never) as z.infer<S>)) as never, 200),
      exists,
    );

  action('approve', 'Approve a requested return (starts the return workflow)', DecisionSchema, (c, b) =>
    returns.approve(c.var.db, tenant(c), actor(c), returnId(c), b.note),
  );
  action('reject', 'Reject a requested return, with the reason', RejectSchema, (c, b) =>
    returns.reject(c.var.db, tenant(c), actor(c), returnId(c), b.reason),
  );
  action('cancel', 'Cancel a return not yet received', DecisionSchema, (c, b) =>
    returns.cancelReturn(c.var.db, tenant(c), actor(c), returnId(c), b.note),
  );
  action(
    'receive',
    'Receive the parcel at any location, with a disposition per line',
    ReceiveSchema,
    (c, b) => returns.receive(c.var.db, tenant(c), actor(c), returnId(c), b),
    'Restocked units become available where they arrived; quarantined and damaged units go to those buckets; units not accounted for are missing and not refunded. The return workflow then refunds and closes it.',
  );
}
