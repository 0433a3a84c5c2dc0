import { type OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppEnv, Deps } from '../../http/context.ts';
import { csvDownload } from '../../http/csv.ts';
import { decodeCursor, encodeCursor, PageQuery, pageOf } from '../../http/pagination.ts';
import { defineRoute } from '../../http/route.ts';
import { ServiceLevelSchema } from '../network/schema.ts';
import { Channel } from '../sourcing/schema.ts';
import { type OrderSummary, OrderSummarySchema } from './schema.ts';
import { ORDER_SORTS, searchOrders } from './search.ts';
import { ORDER_STATUSES, type OrderStatus } from './status.ts';

const LIST_ITEMS_MAX = 50;

/** A comma-separated list in the query string; each item is checked and a bad one named. */
const csvList = <T extends string = string>(
  description: string,
  check: (item: string) => string | undefined,
) =>
  z
    .string()
    .max(5000)
    .optional()
    .transform((v, ctx) => {
      const items = [...new Set((v ?? '').split(',').map((s) => s.trim()))].filter(Boolean);
      if (items.length > LIST_ITEMS_MAX) {
        ctx.addIssue({ code: 'custom', message: `At most ${LIST_ITEMS_MAX} values.` });
      }
      for (const item of items) {
        const problem = check(item);
        if (problem) ctx.addIssue({ code: 'custom', message: `"${item.slice(0, 100)}": ${problem}` });
      }
      // Every item passed `check` (or the query is refused), so the items are Ts.
      return items.length ? (items as T[]) : undefined;
    })
    .openapi({ type: 'string', description });

const oneOf = (values: readonly string[]) => (item: string) =>
  values.includes(item) ? undefined : `not one of ${values.join(', ')}.`;
const atMost = (chars: number) => (item: string) =>
  item.length <= chars ? undefined : `longer than ${chars} characters.`;

const flag = (description: string) =>
  z
    .enum(['true', 'false'])
    .optional()
    .transform((v) => (v === undefined ? undefined : v === 'true'))
    .openapi({ type: 'string', enum: ['true', 'false'], description });

const OrderListQuery = PageQuery.extend({
  status: csvList<OrderStatus>(
    `Comma-separated statuses: ${ORDER_STATUSES.join(', ')}`,
    oneOf(ORDER_STATUSES),
  ).openapi({
    example: 'allocated,partially_allocated',
  }),
  channel: csvList('Comma-separated channels', (c) => Channel.safeParse(c).error?.issues[0]?.message),
  location_id: csvList('Comma-separated location ids: orders held or shipped at any of them', atMost(100)),
  service_level: csvList(
    `Comma-separated service levels: ${ServiceLevelSchema.options.join(', ')}`,
    oneOf(ServiceLevelSchema.options),
  ),
  placed_from: z.iso
    .datetime({ offset: true })
    .optional()
    .openapi({ description: 'Placed at or after this time', example: '2026-11-01T00:00:00Z' }),
  placed_to: z.iso
    .datetime({ offset: true })
    .optional()
    .openapi({ description: 'Placed before this time', example: '2026-12-01T00:00:00Z' }),
  tag: csvList('Comma-separated tags: orders carrying all of them', atMost(50)),
  late: flag(
    'true: a fulfillment order missed its cut-off (the at-risk sweep), or the promised delivery date is before today (UTC) and the order is not shipped, delivered, cancelled or (partially) returned; false: all others',
  ),
  at_risk: flag(
    'true: the at-risk sweep flagged the order (`risk` is `late` or `at_risk`, see `risk_reason`); false: all others',
  ),
  on_hold: flag('true: on hold; false: not on hold'),
  backordered: flag(
    'true: units wait for stock — a line with backordered units, on an order that is backordered, partially allocated, on hold, in fulfillment or partially shipped (failed routings are found by status); false: all others',
  ),
  q: z.string().trim().min(1).max(200).optional().openapi({
    description:
      '`#1234` an order number; `1234` an order number or channel order id; otherwise a channel order id, a customer email (any case), part of a customer name (3+ characters) or a SKU on a line',
    example: 'ada@example.com',
  }),
  sort: z.enum(ORDER_SORTS).default('-placed_at').openapi({
    description:
      'Newest first (default), oldest first, soonest promised delivery first (orders without one last), or largest total first',
  }),
  format: z.enum(['json', 'csv']).default('json').openapi({
    description: '`csv` streams every matching order as a spreadsheet (limit and cursor page JSON only)',
  }),
}).superRefine((q, ctx) => {
  if (q.placed_from && q.placed_to && Date.parse(q.placed_from) >= Date.parse(q.placed_to)) {
    ctx.addIssue({ code: 'custom', path: ['placed_to'], message: 'Must be after placed_from.' });
  }
});

// Text a person or a channel typed: a leading = + - @ would run as a formula in a spreadsheet.
const cell = (v: string | null | undefined) => (v && /^[=+\-@\t\r]/.test(v) ? `'${v}` : (v ?? ''));

const CSV_COLUMNS: [string, (o: OrderSummary) => unknown][] = [
  ['order_number', (o) => o.order_number],
  ['placed_at', (o) => o.placed_at],
  ['channel', (o) => o.channel],
  ['channel_order_id', (o) => cell(o.channel_order_id)],
  ['status', (o) => o.status],
  ['on_hold', (o) => o.on_hold],
  ['customer_name', (o) => cell(o.customer.name)],
  ['customer_email', (o) => cell(o.customer.email)],
  ['ship_to_city', (o) => cell(o.shipping_address.city)],
  ['ship_to_region', (o) => cell(o.shipping_address.region)],
  ['ship_to_postal_code', (o) => cell(o.shipping_address.postal_code)],
  ['ship_to_country', (o) => o.shipping_address.country],
  ['service_level', (o) => o.service_level],
  ['promised_delivery_date', (o) => o.promised_delivery_date],
  ['total', (o) => o.totals.total],
  ['currency', (o) => o.currency],
  ['refund_due', (o) => o.refund_due],
  ['tags', (o) => cell(o.tags.join(','))],
  ['location_ids', (o) => o.location_ids.join(',')],
  ['order_id', (o) => o.order_id],
];

export function orderListRoutes(app: OpenAPIHono<AppEnv>, deps: Deps) {
  app.openapi(
    defineRoute('support', {
      method: 'get',
      path: '/v1/orders',
      tags: ['Orders'],
      summary: 'Find orders: filter, search, sort and page; `format=csv` downloads every match',
      description:
        'Filters combine with AND; a comma-separated list matches any of its values (tags: all of them). ' +
        'Pages are keyset-paged: pass `next_cursor` back as `cursor` with the same filters and sort.',
      request: { query: OrderListQuery },
      responses: {
        200: {
          description: 'A page of orders (without lines), or the CSV file',
          content: {
            'application/json': { schema: pageOf(OrderSummarySchema).openapi('OrderSummaryPage') },
            'text/csv': { schema: z.string() },
          },
        },
      },
    }),
    async (c) => {
      const { limit, cursor, format, ...query } = c.req.valid('query');
      const tenantId = c.var.principal!.tenant_id;
      // Each page is read in its own read-only transaction on a pooled connection (search.ts).
      if (format === 'csv') {
        return csvDownload(
          c,
          'orders.csv',
          CSV_COLUMNS.map(([name]) => name),
          (o: OrderSummary) => CSV_COLUMNS.map(([, value]) => value(o)),
          async (after, batch) => {
            const page = await searchOrders(deps.pool, tenantId, query, { after, limit: batch });
            return { rows: page.data, last: page.after };
          },
        ) as never;
      }
      const page = await searchOrders(deps.pool, tenantId, query, { after: decodeCursor(cursor), limit });
      return c.json({ data: page.data, next_cursor: page.after ? encodeCursor(page.after) : null }, 200);
    },
  );
}
