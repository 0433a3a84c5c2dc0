import type { Pool } from '../../db/pool.ts';
import { AppError } from '../../http/problem.ts';
import type { OrderSummary } from './schema.ts';
import type { OrderStatus } from './status.ts';
import { fromRow, ORDER_COLUMNS } from './store.ts';

/**
 * Finding orders: filters, search, four sort orders and keyset pagination over the orders table.
 * The SQL is assembled from fixed fragments for the filters actually given; every value a caller
 * sends travels as a parameter.
 */

export const ORDER_SORTS = ['-placed_at', 'placed_at', 'promised_delivery_date', '-total'] as const;
export type OrderSort = (typeof ORDER_SORTS)[number];

export type OrderQuery = {
  status?: OrderStatus[] | undefined;
  channel?: string[] | undefined;
  location_id?: string[] | undefined;
  service_level?: string[] | undefined;
  placed_from?: string | undefined;
  placed_to?: string | undefined;
  tag?: string[] | undefined;
  late?: boolean | undefined;
  at_risk?: boolean | undefined;
  on_hold?: boolean | undefined;
  backordered?: boolean | undefined;
  q?: string | undefined;
  sort: OrderSort;
};

export const SEARCH_PAGE_MAX = 1000;
// A search that needs longer than this is too broad to be useful; it is stopped, not queued.
export const SEARCH_TIMEOUT_MS = 5000;
// Names are matched by trigrams, so shorter text has nothing to match on.
const NAME_SEARCH_MIN_CHARS = 3;
// Reading a SKU's orders costs one lookup per order; walking the sort order for a page costs about
// page × orders ÷ the SKU's orders checks. At 1,000,000 orders the two meet near 5,000 lines.
export const SKU_COLLECT_MAX = 5000;
// The same trade for tags and locations: how many of the newest orders are checked before all
// matches are read instead.
export const WALK_ROWS_MAX = 5000;

// Statuses after which nothing is left to ship: such an order is never late.
const DONE = `('shipped', 'delivered', 'cancelled', 'returned', 'partially_returned')`;
// Open statuses that can have units waiting for stock. Failed routings are left out: they wait for
// a person (find them by status), and allocated means nothing is waiting.
const CAN_WAIT = `('backordered', 'partially_allocated', 'on_hold', 'in_fulfillment', 'partially_shipped')`;

/**
 * Each sort is one index's order (see migrations 0007 and 0008), ending in order_id so the key is
 * unique. `text` renders the key exactly for the cursor; `type` reads it back. `blind` is the same
 * order in a form no index has, for when all matches are to be read and sorted instead.
 */
const SORTS: Record<OrderSort, { expr: string; type: string; desc: boolean; text: string; blind: string }> = {
  '-placed_at': {
    expr: 'o.placed_at',
    blind: "o.placed_at + interval '0 s'",
    type: 'timestamptz',
    desc: true,
    text: 'to_char(sort_value at time zone \'UTC\', \'YYYY-MM-DD"T"HH24:MI:SS.US"Z"\')',
  },
  placed_at: {
    expr: 'o.placed_at',
    blind: "o.placed_at + interval '0 s'",
    type: 'timestamptz',
    desc: false,
    text: 'to_char(sort_value at time zone \'UTC\', \'YYYY-MM-DD"T"HH24:MI:SS.US"Z"\')',
  },
  // Orders without a promise (nothing allocated, or all shipped) come last.
  promised_delivery_date: {
    expr: "coalesce(o.promised_delivery_date, 'infinity'::date)",
    blind: "coalesce(o.promised_delivery_date, 'infinity'::date) + 0",
    type: 'date',
    desc: false,
    text: 'sort_value::text',
  },
  '-total': {
    expr: "(o.totals->>'total')::numeric",
    blind: "(o.totals->>'total')::numeric + 0",
    type: 'numeric',
    desc: true,
    text: 'sort_value::text',
  },
};

type Row = Parameters<typeof fromRow>[0] & { sort_key: string };

export type SearchPage = {
  data: OrderSummary[];
  /** The key to continue after, when there is more; encode it as the client's cursor. */
  after: string | undefined;
};

/** Builds numbered parameters: `p(value)` answers `$n`. */
function params() {
  const values: unknown[] = [];
  const p = (v: unknown) => {
    values.push(v);
    return `$${values.length}`;
  };
  return { values, p };
}

/**
 * The conditions of the filters given. Array filters (tags, locations) come apart: a value on few
 * orders is estimated like any value PostgreSQL has no statistics for, so they get the guarded
 * plan of `arrayFiltered`.
 */
function filterClauses(tenantP: string, q: OrderQuery, p: (v: unknown) => string, today: string) {
  const where = [`o.tenant_id = ${tenantP}`];
  const arrays: string[] = [];
  if (q.status?.length) where.push(`o.status = any(${p(q.status)}::text[])`);
  if (q.channel?.length) where.push(`o.channel = any(${p(q.channel)}::text[])`);
  if (q.location_id?.length) arrays.push(`o.location_ids && ${p(q.location_id)}::text[]`);
  if (q.service_level?.length) where.push(`o.service_level = any(${p(q.service_level)}::text[])`);
  if (q.placed_from) where.push(`o.placed_at >= ${p(q.placed_from)}::timestamptz`);
  if (q.placed_to) where.push(`o.placed_at < ${p(q.placed_to)}::timestamptz`);
  if (q.tag?.length) arrays.push(`o.tags @> ${p(q.tag)}::text[]`);
  if (q.late !== undefined) {
    const late = `(o.risk is not distinct from 'late' or (o.status not in ${DONE} and coalesce(o.promised_delivery_date < ${p(today)}::date, false)))`;
    where.push(q.late ? late : `not ${late}`);
  }
  if (q.at_risk !== undefined) where.push(q.at_risk ? 'o.risk is not null' : 'o.risk is null');
  if (q.on_hold !== undefined) where.push(q.on_hold ? 'o.hold_reason is not null' : 'o.hold_reason is null');
  if (q.backordered !== undefined) {
    // `offset 0` keeps the check per order, so the open orders are walked newest first; as a join
    // the planner would read every waiting line of the tenant first (60 ms at 1,000,000 orders).
    const waiting = `o.status in ${CAN_WAIT} and exists (select 1 from order_lines l
      where l.tenant_id = o.tenant_id and l.order_id = o.order_id and l.backordered > 0 offset 0)`;
    where.push(q.backordered ? waiting : `not (${waiting})`);
  }
  return { where, arrays };
}

/**
 * What `q` may be, each one indexed lookup: `#1234` is an order number; a bare number is an order
 * number or a channel's order id; anything else is a channel order id, an email (exact, any case),
 * part of a customer's name, or a SKU on one of the lines. Answers one condition per way of
 * matching, and the common table expressions they read.
 */
function searchBranches(tenantP: string, text: string, p: (v: unknown) => string) {
  const number = /^#?(\d{1,15})$/.exec(text);
  const branches: string[] = [];
  const ctes: string[] = [];
  if (number) {
    branches.push(`o.order_number = ${p(Number(number[1]))}::bigint`);
    if (text.startsWith('#')) return { branches, ctes };
  }
  const qp = p(text);
  // Channel order ids are unique per channel: one index lookup per channel the tenant has, found
  // by a loose index scan (PostgreSQL before 18 cannot skip over the channel column by itself).
  ctes.push(`channels (channel) as (
    select min(channel) from orders where tenant_id = ${tenantP}
    union all
    select (select min(o.channel) from orders o where o.tenant_id = ${tenantP} and o.channel > c.channel)
    from channels c where c.channel is not null)`);
  branches.push(`o.channel = any(array(select channel from channels)) and o.channel_order_id = ${qp}`);
  if (text.includes('@')) branches.push(`lower(o.customer_email) = lower(${qp})`);
  if (!number && text.length >= NAME_SEARCH_MIN_CHARS) {
    branches.push(`o.customer_name ilike ${p(`%${text.replace(/[\\%_]/g, '\\$&')}%`)}`);
  }
  if (/^[A-Za-z0-9._-]{1,64}$/.test(text)) {
    // A SKU on few orders: read them and sort. On many: walk the sort order and check each order's
    // lines, which soon finds a page. Only one of the two runs; `sku_lines` says which.
    const lines = `select l.order_id from order_lines l where l.tenant_id = ${tenantP} and l.sku = ${qp}`;
    ctes.push(`sku_lines (n) as (select count(*) from (${lines} limit ${SKU_COLLECT_MAX + 1}) x)`);
    branches.push(
      `(select n from sku_lines) <= ${SKU_COLLECT_MAX} and o.order_id = any(array(${lines}))`,
      `(select n from sku_lines) > ${SKU_COLLECT_MAX} and exists (${lines} and l.order_id = o.order_id offset 0)`,
    );
  }
  return { branches, ctes };
}

function parseAfter(after: string, sort: OrderSort): [string, string] {
  let key: unknown;
  try {
    key = JSON.parse(after);
  } catch {
    key = undefined;
  }
  if (!Array.isArray(key) || key.length !== 3 || !key.every((k): k is string => typeof k === 'string')) {
    throw new AppError('validation-error', 'query.cursor: not a cursor this API issued.', {
      errors: [{ path: 'query.cursor', message: 'Not a cursor this API issued.' }],
    });
  }
  if (key[0] !== sort) {
    const message = `This cursor continues sort=${key[0]}; send the same sort, or no cursor to start over.`;
    throw new AppError('validation-error', `query.cursor: ${message}`, {
      errors: [{ path: 'query.cursor', message }],
    });
  }
  return [key[1] as string, key[2] as string];
}

/** The statement for one page: `limit` rows after the key `after`, in the query's sort order. */
export function searchSql(
  tenantId: string,
  query: OrderQuery,
  page: { after?: string | undefined; limit: number },
  today = new Date().toISOString().slice(0, 10),
) {
  const { values, p } = params();
  const tenantP = p(tenantId);
  const sort = SORTS[query.sort];
  const { where, arrays } = filterClauses(tenantP, query, p, today);
  const dir = sort.desc ? 'desc' : 'asc';
  if (page.after !== undefined) {
    const [key, id] = parseAfter(page.after, query.sort);
    where.push(`(${sort.expr}, o.order_id) ${sort.desc ? '<' : '>'} (${p(key)}::${sort.type}, ${p(id)})`);
  }
  const limitP = p(page.limit);
  const select = (conditions: string[], order = sort.expr, limit = limitP) =>
    `select ${ORDER_COLUMNS}, ${sort.expr} as sort_value from orders o
     where ${conditions.join(' and ')}
     order by ${order} ${dir}, o.order_id ${dir} limit ${limit}`;
  const text = query.q?.trim();
  let ctes: string[] = [];
  let body: string;
  if (text) {
    // Each way of matching `q` reads its own index for its first page; the page is the best of those.
    const search = searchBranches(tenantP, text, p);
    ctes = search.ctes;
    body = search.branches.map((b) => `(${select([...where, ...arrays, b])})`).join(' union ');
  } else if (arrays.length) {
    // The newest WALK_ROWS_MAX orders the other filters allow are checked first; when they hold
    // less than a page, every match is read through the array indexes and sorted instead.
    const walked = `select * from (${select(where, sort.expr, p(WALK_ROWS_MAX))}) o
      where ${arrays.join(' and ')} order by o.sort_value ${dir}, o.order_id ${dir} limit ${limitP}`;
    ctes = [`walked as (${walked})`];
    body = `(select * from walked where (select count(*) from walked) >= ${limitP})
      union all
      (${select([...where, ...arrays, `(select count(*) from walked) < ${limitP}`], sort.blind)})`;
  } else {
    body = select(where);
  }
  const withCtes = ctes.length ? `with recursive ${ctes.join(', ')}` : '';
  const sql = `${withCtes} select s.*, ${sort.text} as sort_key from (${body}) s
    order by s.sort_value ${dir}, s.order_id ${dir} limit ${limitP}`;
  return { sql, values };
}

/**
 * The pool plans statements generically (db/pool.ts), which suits the hot paths. A search's best
 * plan depends on its values — a rare tag reads the tag index, a common one walks the newest-first
 * index and skips the rest — so a search is planned for the values it is given. A page is a short
 * read: parallel workers and JIT compilation cost more than they save (with workers, the planner
 * walked 33,000 orders probing their lines for a SKU on 0.3 % of them instead of reading its
 * 2,700 orders). Its time is bounded too.
 */
export const SEARCH_SETTINGS = [
  'begin read only',
  'set local plan_cache_mode = force_custom_plan',
  'set local max_parallel_workers_per_gather = 0',
  'set local jit = off',
  `set local statement_timeout = ${SEARCH_TIMEOUT_MS}`,
].join('; ');

async function planned(pool: Pool, sql: string, values: unknown[]) {
  const client = await pool.connect();
  try {
    await client.query(SEARCH_SETTINGS);
    const { rows } = await client.query<Row>(sql, values);
    await client.query('commit');
    return rows;
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    if ((err as { code?: string }).code === '57014') {
      throw new AppError(
        'unavailable',
        `This search took longer than ${SEARCH_TIMEOUT_MS / 1000} s and was stopped; narrow it with more filters.`,
      );
    }
    throw err;
  } finally {
    client.release();
  }
}

/** One page of orders (without lines) and the key to continue after, if there is more. */
export async function searchOrders(
  pool: Pool,
  tenantId: string,
  query: OrderQuery,
  page: { after?: string | undefined; limit: number },
  today?: string,
): Promise<SearchPage> {
  const limit = Math.min(Math.max(1, page.limit), SEARCH_PAGE_MAX);
  const { sql, values } = searchSql(tenantId, query, { after: page.after, limit: limit + 1 }, today);
  const rows = await planned(pool, sql, values);
  const more = rows.length > limit;
  const kept = rows.slice(0, limit);
  const last = kept.at(-1);
  return {
    data: kept.map(toSummary),
    after: more && last ? JSON.stringify([query.sort, last.sort_key, last.order_id]) : undefined,
  };
}

function toSummary(row: Row): OrderSummary {
  const { sort_key: _k, sort_value: _v, ...order } = row as Row & { sort_value: unknown };
  const { lines: _l, failure: _f, ...summary } = fromRow({ ...order, lines: [] });
  return summary;
}
