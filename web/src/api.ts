import type { components } from '../../sdk/src/schema.d.ts';

export type Role = 'admin' | 'manager' | 'support';

export type Tenant = { tenant_id: string; name: string; created_at: string };

export type User = {
  user_id: string;
  email: string;
  name: string;
  role: Role;
  disabled: boolean;
  created_at: string;
};

export type ApiKey = {
  api_key_id: string;
  name: string;
  role: Role;
  key_prefix: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
};

export type Me = {
  tenant: Tenant;
  role: Role;
  actor: { type: 'user' | 'api_key' | 'system'; id: string };
  user: User | null;
};

export type Page<T> = { data: T[]; next_cursor: string | null };

export type Check = { ok: boolean; detail: string };
export type Health = { status: 'ok' | 'unavailable'; checks: Record<string, Check> };

export type FieldError = { path: string; message: string };

/** An answer other than 2xx, carrying the problem+json `detail` the server wrote for people. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors: FieldError[] = [],
  ) {
    super(message);
  }
}

let onUnauthorized: () => void = () => {};

/** The session can end while the dashboard is open (expiry, sign-out elsewhere): App listens here. */
export function handleUnauthorized(handler: () => void) {
  onUnauthorized = handler;
}

async function problemOf(res: Response): Promise<ApiError> {
  try {
    const body = (await res.json()) as { detail?: string; title?: string; errors?: FieldError[] };
    return new ApiError(res.status, body.detail ?? body.title ?? res.statusText, body.errors ?? []);
  } catch {
    return new ApiError(res.status, `The server answered ${res.status} ${res.statusText}.`);
  }
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: body === undefined ? { accept: 'application/json' } : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) {
    const error = await problemOf(res);
    if (res.status === 401 && !path.startsWith('/v1/auth/')) onUnauthorized();
    throw error;
  }
  return (res.status === 204 ? undefined : await res.json()) as T;
}

export const getMe = () => api<Me>('GET', '/v1/auth/me');
export const login = (email: string, password: string) =>
  api<Me>('POST', '/v1/auth/login', { email, password });
export const logout = () => api<void>('POST', '/v1/auth/logout');

/** /health answers 503 with the same body when something is not ready; both are worth showing. */
export async function getHealth(): Promise<Health> {
  const res = await fetch('/health', { headers: { accept: 'application/json' } });
  if (res.status !== 200 && res.status !== 503) throw await problemOf(res);
  return (await res.json()) as Health;
}

// Inventory and network shapes come from the SDK's generated types, so a server change shows up here.
type Schemas = components['schemas'];

export type Location = Schemas['Location'];
export type LocationType = Location['type'];
export type Cutoffs = Schemas['Cutoffs'];
export type InventoryBalance = Schemas['InventoryBalance'];
export type InventoryMovement = Schemas['InventoryMovement'];
/** One SKU across the network: totals, and each location's balance with its name and type. */
export type SkuInventory = Schemas['GlobalInventory'];
export type SkuLocationBalance = SkuInventory['locations'][number];

/** Filters of GET /v1/inventory; the API takes each list comma-separated. */
export type InventoryFilter = { skus: string[]; locationIds: string[] };

function inventoryQuery(filter: InventoryFilter, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams(extra);
  if (filter.skus.length > 0) params.set('sku', filter.skus.join(','));
  if (filter.locationIds.length > 0) params.set('location_id', filter.locationIds.join(','));
  const query = params.toString();
  return query ? `?${query}` : '';
}

/** The balances list, for `usePaged`. */
export const inventoryPath = (filter: InventoryFilter) => `/v1/inventory${inventoryQuery(filter)}`;

/** The same balances as a CSV download; the session cookie authenticates a plain link. */
export const inventoryCsvUrl = (filter: InventoryFilter) =>
  `/v1/inventory${inventoryQuery(filter, { format: 'csv' })}`;

export const getSkuInventory = (sku: string) =>
  api<SkuInventory>('GET', `/v1/inventory/${encodeURIComponent(sku)}`);

/** The newest movements of one SKU, newest first. */
export async function listMovements(sku: string, limit = 50): Promise<InventoryMovement[]> {
  const query = new URLSearchParams({ sku, limit: String(limit) });
  return (await api<Schemas['MovementList']>('GET', `/v1/inventory/movements?${query}`)).data;
}

/** Every location of the tenant: networks are small, and a map or a name lookup needs them all. */
export async function listAllLocations(): Promise<Location[]> {
  const all: Location[] = [];
  let cursor: string | null = null;
  do {
    const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
    const page: Page<Location> = await api<Page<Location>>('GET', `/v1/locations?limit=200${query}`);
    all.push(...page.data);
    cursor = page.next_cursor;
  } while (cursor);
  return all;
}

// ── orders ───────────────────────────────────────────────────────────────────────────────────
export type OrderStatus = Schemas['OrderStatus'];
export type Address = Schemas['ShippingAddress'];
export type OrderSummary = Schemas['OrderSummary'];
export type Order = Schemas['Order'];
export type OrderLine = Schemas['OrderLine'];
export type OrderAllocation = OrderLine['allocations'][number];
export type OrderEvent = Schemas['OrderEvent'];
export type OrderRouting = Schemas['OrderRouting'];
export type Actor = OrderEvent['actor'];

/** Filters of GET /v1/orders; lists go comma-separated, dates are the days as the browser sees them. */
export type OrderFilter = {
  statuses: OrderStatus[];
  channel: string;
  q: string;
  late: boolean;
  onHold: boolean;
  backordered: boolean;
  /** `YYYY-MM-DD`, local days, both included; '' for no bound. */
  placedFrom: string;
  placedTo: string;
  sort: 'placed_at' | '-placed_at' | 'promised_delivery_date' | '-total';
};

/** A local day's first instant, as the API's ISO date-time. */
const dayStart = (day: string) => new Date(`${day}T00:00:00`).toISOString();
const nextDayStart = (day: string) => {
  const d = new Date(`${day}T00:00:00`);
  d.setDate(d.getDate() + 1);
  return d.toISOString();
};

function ordersQuery(filter: OrderFilter, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams(extra);
  if (filter.statuses.length > 0) params.set('status', filter.statuses.join(','));
  if (filter.channel) params.set('channel', filter.channel);
  if (filter.q) params.set('q', filter.q);
  if (filter.late) params.set('late', 'true');
  if (filter.onHold) params.set('on_hold', 'true');
  if (filter.backordered) params.set('backordered', 'true');
  if (filter.placedFrom) params.set('placed_from', dayStart(filter.placedFrom));
  if (filter.placedTo) params.set('placed_to', nextDayStart(filter.placedTo));
  if (filter.sort !== '-placed_at') params.set('sort', filter.sort);
  const query = params.toString();
  return query ? `?${query}` : '';
}

/** The order list, for `usePaged`. */
export const ordersPath = (filter: OrderFilter) => `/v1/orders${ordersQuery(filter)}`;

/** The same orders as a CSV download; the session cookie authenticates a plain link. */
export const ordersCsvUrl = (filter: OrderFilter) => `/v1/orders${ordersQuery(filter, { format: 'csv' })}`;

const orderPath = (orderId: string, rest = '') => `/v1/orders/${encodeURIComponent(orderId)}${rest}`;

export const getOrder = (orderId: string) => api<Order>('GET', orderPath(orderId));
export const getOrderTimeline = async (orderId: string) =>
  (await api<{ data: OrderEvent[] }>('GET', orderPath(orderId, '/timeline'))).data;
export const getOrderRoutings = async (orderId: string) =>
  (await api<{ data: OrderRouting[] }>('GET', orderPath(orderId, '/routing'))).data;
export type OrderShipment = Schemas['OrderShipment'];
export const getOrderShipments = async (orderId: string) =>
  (await api<{ data: OrderShipment[] }>('GET', orderPath(orderId, '/shipments'))).data;
/** The packing slip PDF; the session cookie authenticates a plain link. */
export const packingSlipUrl = (fulfillmentOrderId: string) =>
  `/v1/fulfillment-orders/${encodeURIComponent(fulfillmentOrderId)}/packing-slip`;

/** The manager actions on one order; each but a note answers with the order after the change. */
export type OrderAction =
  | { kind: 'hold'; reason: string }
  | { kind: 'release-hold'; note?: string }
  | { kind: 'notes'; note: string }
  | { kind: 'cancel'; reason: string; lines?: { line_no: number; quantity: number }[] }
  | { kind: 'route'; reason: string; location_id?: string }
  | { kind: 'release' };

export async function runOrderAction(orderId: string, action: OrderAction): Promise<void> {
  const { kind, ...body } = action;
  await api<unknown>('POST', orderPath(orderId, `/${kind}`), body);
}
