import { type OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppEnv, Deps } from '../../http/context.ts';
import { csvDownload } from '../../http/csv.ts';
import type { GroupCommitted } from '../../http/middleware.ts';
import { decodeCursor, PageQuery, pageOf, toPage } from '../../http/pagination.ts';
import { defineRoute, existsFirst, json, jsonBody } from '../../http/route.ts';
import type { Balance } from './ledger.ts';
import * as read from './read.ts';
import {
  getReservation,
  reservationGroupCommit,
  reserve,
  reserveFailure,
  reserveJob,
  setChannelPool,
  settle,
  settleJob,
} from './reservations.ts';
import {
  AdjustmentSchema,
  AvailabilitySchema,
  BalanceSchema,
  ChannelPoolInputSchema,
  ChannelPoolSchema,
  CreateReservationSchema,
  CreateTransferSchema,
  GlobalInventorySchema,
  MovementSchema,
  MoveSchema,
  ReceiveTransferSchema,
  ReservationSchema,
  SafetyStockSchema,
  SettleReservationSchema,
  Sku,
  StockImportResultSchema,
  StockImportSchema,
  TransferSchema,
} from './schema.ts';
import { adjust, getImport, importStock, move, setSafetyStock } from './stock.ts';
import type { ReservationLocks } from './store.ts';
import * as store from './store.ts';
import * as transfers from './transfers.ts';

const tags = ['Inventory'];
const csvList = (description: string) =>
  z
    .string()
    .max(5000)
    .optional()
    .transform((v) =>
      v
        ? v
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)
        : undefined,
    )
    .openapi({ description, type: 'string' });
const ReservationId = z.object({ reservation_id: z.string().max(100) });
const TransferId = z.object({ transfer_id: z.string().max(100) });

// Static paths are declared before /v1/inventory/{sku}: these words cannot be SKUs here.
export function inventoryRoutes(app: OpenAPIHono<AppEnv>, _deps: Deps) {
  app.openapi(
    defineRoute('support', {
      method: 'get',
      path: '/v1/inventory',
      tags,
      summary: 'Balances per SKU and location, filtered; `format=csv` downloads them all as CSV',
      request: {
        query: PageQuery.extend({
          sku: csvList('Comma-separated SKUs'),
          location_id: csvList('Comma-separated location ids'),
          format: z.enum(['json', 'csv']).default('json'),
        }),
      },
      responses: {
        200: {
          description: 'A page of balances, or the CSV file',
          content: {
            'application/json': { schema: pageOf(BalanceSchema).openapi('BalancePage') },
            'text/csv': { schema: z.string() },
          },
        },
      },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const tenantId = c.var.principal!.tenant_id;
      const filter = { skus: q.sku, location_ids: q.location_id };
      if (q.format === 'csv') {
        const columns = [
          'sku',
          'location_id',
          'available',
          'reserved',
          'safety',
          'quarantine',
          'damaged',
          'incoming',
          'on_hand',
          'safety_target',
          'updated_at',
        ] as const;
        return csvDownload(
          c,
          'inventory.csv',
          [...columns],
          (b: Balance) => columns.map((k) => b[k]),
          async (after, limit) => {
            const rows = await read.listBalances(c.var.db, tenantId, filter, after, limit);
            return { rows, last: rows.length ? read.balanceCursor(rows.at(-1)!) : undefined };
          },
        ) as never;
      }
      const rows = await read.listBalances(c.var.db, tenantId, filter, decodeCursor(q.cursor), q.limit + 1);
      return c.json(toPage(rows, q.limit, read.balanceCursor), 200);
    },
  );

  app.openapi(
    defineRoute('support', {
      method: 'get',
      path: '/v1/inventory/movements',
      tags,
      summary: 'Movement history, newest first: every change with its cause, reference and actor',
      request: {
        query: z.object({
          sku: Sku.optional(),
          location_id: z.string().max(100).optional(),
          reference: z.string().max(200).optional(),
          before: z.coerce
            .number()
            .int()
            .min(1)
            .optional()
            .openapi({ description: 'Movements with a lower seq' }),
          limit: z.coerce.number().int().min(1).max(500).default(100),
        }),
      },
      responses: {
        200: json(z.object({ data: z.array(MovementSchema) }).openapi('MovementList'), 'Movements'),
      },
    }),
    async (c) => {
      const { before, limit, ...filter } = c.req.valid('query');
      return c.json(
        { data: await read.listMovements(c.var.db, c.var.principal!.tenant_id, filter, before, limit) },
        200,
      );
    },
  );

  app.openapi(
    defineRoute('manager', {
      method: 'post',
      path: '/v1/inventory/reservations',
      tags,
      summary: 'Reserve stock (all lines or none); optionally a hold that expires',
      request: { body: jsonBody(CreateReservationSchema) },
      responses: { 201: json(ReservationSchema, 'Reserved') },
    }),
    async (c) => {
      const p = c.var.principal!;
      const outcome = await reserve(c.var.db, p.tenant_id, p.actor, c.req.valid('json'));
      if (!outcome.ok) throw reserveFailure(outcome);
      return c.json(outcome.reservation, 201);
    },
  );

  app.openapi(
    defineRoute('support', {
      method: 'get',
      path: '/v1/inventory/reservations/{reservation_id}',
      tags,
      summary: 'A reservation and what of it was posted or voided',
      request: { params: ReservationId },
      responses: { 200: json(ReservationSchema, 'The reservation') },
    }),
    async (c) =>
      c.json(
        await getReservation(c.var.db, c.var.principal!.tenant_id, c.req.valid('param').reservation_id),
        200,
      ),
  );

  for (const action of ['post', 'void'] as const) {
    app.openapi(
      defineRoute('manager', {
        method: 'post',
        path: `/v1/inventory/reservations/{reservation_id}/${action}`,
        tags,
        summary:
          action === 'post'
            ? 'Post (shipped): reserved stock leaves the location'
            : 'Void (cancelled): reserved stock becomes available again',
        request: {
          params: ReservationId,
          body: { required: false, content: { 'application/json': { schema: SettleReservationSchema } } },
        },
        responses: { 200: json(ReservationSchema, 'Settled') },
      }),
      async (c) => {
        const p = c.var.principal!;
        const parsed = c.req.valid('json') ?? {};
        const { reservation_id } = c.req.valid('param');
        const r = await settle(c.var.db, p.tenant_id, p.actor, reservation_id, action, parsed.lines);
        return c.json(r, 200);
      },
    );
  }

  app.openapi(
    defineRoute('manager', {
      method: 'post',
      path: '/v1/inventory/adjustments',
      tags,
      summary: 'Adjust stock with a reason: found, lost, damaged, or a cycle count',
      request: { body: jsonBody(AdjustmentSchema) },
      responses: { 201: json(BalanceSchema, 'The balance after the adjustment') },
    }),
    async (c) => {
      const p = c.var.principal!;
      return c.json(await adjust(c.var.db, p.tenant_id, p.actor, c.req.valid('json')), 201);
    },
  );

  app.openapi(
    defineRoute('manager', {
      method: 'post',
      path: '/v1/inventory/moves',
      tags,
      summary: 'Move stock between buckets, e.g. quarantine → available after QC',
      request: { body: jsonBody(MoveSchema) },
      responses: { 201: json(BalanceSchema, 'The balance after the move') },
    }),
    async (c) => {
      const p = c.var.principal!;
      return c.json(await move(c.var.db, p.tenant_id, p.actor, c.req.valid('json')), 201);
    },
  );

  app.openapi(
    defineRoute('manager', {
      method: 'post',
      path: '/v1/inventory/imports',
      tags,
      summary: 'Import absolute counts from a WMS or ERP, with the last fulfillment event they reflect',
      request: { body: jsonBody(StockImportSchema) },
      responses: { 201: json(StockImportResultSchema, 'Applied') },
    }),
    async (c) => {
      const p = c.var.principal!;
      return c.json(await importStock(c.var.db, p.tenant_id, p.actor, c.req.valid('json')), 201);
    },
  );

  app.openapi(
    defineRoute('support', {
      method: 'get',
      path: '/v1/inventory/imports/{import_id}',
      tags,
      summary: 'A stock import and what it did',
      request: { params: z.object({ import_id: z.string().max(100) }) },
      responses: { 200: json(StockImportResultSchema, 'The import') },
    }),
    async (c) => {
      return c.json(
        await getImport(c.var.db, c.var.principal!.tenant_id, c.req.valid('param').import_id),
        200,
      );
    },
  );

  transferRoutes(app);

  app.openapi(
    defineRoute('support', {
      method: 'get',
      path: '/v1/inventory/{sku}',
      tags,
      summary: 'One SKU across the network: totals and each location with its type and safety stock',
      request: { params: z.object({ sku: Sku }) },
      responses: { 200: json(GlobalInventorySchema, 'Global inventory') },
    }),
    async (c) =>
      c.json(await read.globalInventory(c.var.db, c.var.principal!.tenant_id, c.req.valid('param').sku), 200),
  );

  app.openapi(
    defineRoute('support', {
      method: 'get',
      path: '/v1/availability',
      tags,
      summary: 'Sellable quantity per SKU (bundles included), within a channel’s pool',
      request: {
        query: z.object({
          skus: z
            .string()
            .min(1)
            .max(5000)
            .transform((v) =>
              v
                .split(',')
                .map((s) => s.trim())
                .filter(Boolean),
            )
            .openapi({
              type: 'string',
              description: 'Comma-separated SKUs',
              example: 'TSHIRT-BLK-M,GIFT-SET',
            }),
          channel: z.string().max(50).optional(),
        }),
      },
      responses: {
        200: json(
          z.object({ data: z.array(AvailabilitySchema) }).openapi('AvailabilityList'),
          'Availability',
        ),
      },
    }),
    async (c) => {
      const { skus, channel } = c.req.valid('query');
      return c.json(
        { data: await read.availability(c.var.db, c.var.principal!.tenant_id, skus, channel) },
        200,
      );
    },
  );

  app.openapi(
    defineRoute('support', {
      method: 'get',
      path: '/v1/safety-stock',
      tags,
      summary: 'Safety stock targets and what is held',
      request: {
        query: PageQuery.extend({
          sku: csvList('Comma-separated SKUs'),
          location_id: csvList('Comma-separated location ids'),
        }),
      },
      responses: {
        200: json(pageOf(BalanceSchema).openapi('SafetyStockPage'), 'Balances with a safety target'),
      },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const rows = await read.listBalances(
        c.var.db,
        c.var.principal!.tenant_id,
        { skus: q.sku, location_ids: q.location_id, held_back: true },
        decodeCursor(q.cursor),
        q.limit + 1,
      );
      return c.json(toPage(rows, q.limit, read.balanceCursor), 200);
    },
  );

  app.openapi(
    defineRoute('manager', {
      method: 'put',
      path: '/v1/safety-stock',
      tags,
      summary: 'Set the safety stock of a SKU at a location (moves stock between available and safety)',
      request: { body: jsonBody(SafetyStockSchema) },
      responses: { 200: json(BalanceSchema, 'The balance after') },
    }),
    async (c) => {
      const p = c.var.principal!;
      return c.json(await setSafetyStock(c.var.db, p.tenant_id, p.actor, c.req.valid('json')), 200);
    },
  );

  app.openapi(
    defineRoute('support', {
      method: 'get',
      path: '/v1/channel-pools',
      tags,
      summary: 'Channel allocation pools',
      request: { query: z.object({ channel: z.string().max(50).optional(), sku: Sku.optional() }) },
      responses: {
        200: json(z.object({ data: z.array(ChannelPoolSchema) }).openapi('ChannelPoolList'), 'Pools'),
      },
    }),
    async (c) => {
      const { channel, sku } = c.req.valid('query');
      return c.json(
        { data: await store.listChannelPools(c.var.db, c.var.principal!.tenant_id, channel, sku) },
        200,
      );
    },
  );

  app.openapi(
    defineRoute('manager', {
      method: 'put',
      path: '/v1/channel-pools',
      tags,
      summary: 'Limit what a channel may sell of a SKU: N units or P% of its stock',
      request: { body: jsonBody(ChannelPoolInputSchema) },
      responses: { 200: json(ChannelPoolSchema, 'The pool') },
    }),
    async (c) => {
      const p = c.var.principal!;
      return c.json(await setChannelPool(c.var.db, p.tenant_id, p.actor, c.req.valid('json')), 200);
    },
  );
}

function transferRoutes(app: OpenAPIHono<AppEnv>) {
  const ttags = ['Transfers'];
  app.openapi(
    defineRoute('manager', {
      method: 'post',
      path: '/v1/inventory/transfers',
      tags: ttags,
      summary: 'Plan a transfer between locations',
      request: { body: jsonBody(CreateTransferSchema) },
      responses: { 201: json(TransferSchema, 'Created') },
    }),
    async (c) => {
      const p = c.var.principal!;
      return c.json(await transfers.createTransfer(c.var.db, p.tenant_id, p.actor, c.req.valid('json')), 201);
    },
  );

  app.openapi(
    defineRoute('support', {
      method: 'get',
      path: '/v1/inventory/transfers',
      tags: ttags,
      summary: 'List transfers',
      request: {
        query: PageQuery.extend({
          status: z
            .enum(['created', 'in_transit', 'partially_received', 'received', 'closed', 'cancelled'])
            .optional(),
        }),
      },
      responses: { 200: json(pageOf(TransferSchema).openapi('TransferPage'), 'Transfers') },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const rows = await store.listTransfers(
        c.var.db,
        c.var.principal!.tenant_id,
        q.status,
        decodeCursor(q.cursor),
        q.limit + 1,
      );
      return c.json(
        toPage(rows, q.limit, (t) => t.transfer_id),
        200,
      );
    },
  );

  app.openapi(
    defineRoute('support', {
      method: 'get',
      path: '/v1/inventory/transfers/{transfer_id}',
      tags: ttags,
      summary: 'A transfer',
      request: { params: TransferId },
      responses: { 200: json(TransferSchema, 'The transfer') },
    }),
    async (c) =>
      c.json(
        await transfers.getTransfer(c.var.db, c.var.principal!.tenant_id, c.req.valid('param').transfer_id),
        200,
      ),
  );

  const step = (name: 'ship' | 'close' | 'cancel', summary: string, fn: typeof transfers.shipTransfer) =>
    app.openapi(
      defineRoute('manager', {
        method: 'post',
        path: `/v1/inventory/transfers/{transfer_id}/${name}`,
        tags: ttags,
        summary,
        request: { params: TransferId },
        responses: { 200: json(TransferSchema, 'The transfer after') },
      }),
      async (c) => {
        const p = c.var.principal!;
        return c.json(await fn(c.var.db, p.tenant_id, p.actor, c.req.valid('param').transfer_id), 200);
      },
    );
  step('ship', 'Ship: source on hand goes down, destination incoming goes up', transfers.shipTransfer);
  step('close', 'Close: anything not received is written off as lost in transit', transfers.closeTransfer);
  step('cancel', 'Cancel a transfer that has not shipped', transfers.cancelTransfer);

  app.openapi(
    defineRoute('manager', {
      method: 'post',
      path: '/v1/inventory/transfers/{transfer_id}/receive',
      tags: ttags,
      summary: 'Receive some or all of what was shipped (incoming → available)',
      request: { params: TransferId, body: jsonBody(ReceiveTransferSchema) },
      responses: { 200: json(TransferSchema, 'The transfer after') },
    }),
    async (c) => {
      const p = c.var.principal!;
      const t = await transfers.receiveTransfer(
        c.var.db,
        p.tenant_id,
        p.actor,
        c.req.valid('param').transfer_id,
        c.req.valid('json').lines,
      );
      return c.json(t, 200);
    },
    existsFirst(app, (c, tenantId) => transfers.getTransfer(c.var.db, tenantId, c.req.param('transfer_id')!)),
  );
}

/** Creating and settling reservations commit in groups (http/middleware.ts, db/group-commit.ts). */
export const inventoryGroupCommitted: GroupCommitted<ReservationLocks> = {
  create: reservationGroupCommit,
  routes: [
    {
      method: 'POST',
      path: /^\/v1\/inventory\/reservations$/,
      job: (_, body, tenantId) => {
        const parsed = CreateReservationSchema.safeParse(body);
        return parsed.success ? reserveJob(tenantId, parsed.data) : undefined;
      },
    },
    {
      method: 'POST',
      path: /^\/v1\/inventory\/reservations\/([^/]+)\/(?:post|void)$/,
      job: (match, _, tenantId) => settleJob(tenantId, decodeURIComponent(match[1]!)),
    },
  ],
};
