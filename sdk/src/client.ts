import createClient, { type Client } from 'openapi-fetch';
import { bearerAuth, idempotencyKeys, problemsAsErrors } from './middleware.ts';
import { type Fetch, type RetryOptions, retryableStatus, retryPolicy, withRetries } from './retry.ts';
import type {
  ApiKey,
  ApiKeyPage,
  CancelOrder,
  CreateApiKey,
  CreatedApiKey,
  CreateOrder,
  CreateReturn,
  CreateShipment,
  CreateUser,
  components,
  EventPage,
  EventQuery,
  FulfillmentOrder,
  FulfillmentOrderPage,
  FulfillmentQuery,
  FulfillmentStep,
  Health,
  Me,
  Order,
  OrderEvent,
  OrderQuery,
  OrderShipment,
  OrderSummaryPage,
  PageQuery,
  paths,
  Return,
  ReturnPage,
  ReturnQuery,
  ReturnReceipt,
  Shipment,
  ShipmentCreated,
  TrackingUpdate,
  UpdateOrder,
  UpdateUser,
  User,
  UserPage,
} from './types.ts';

export type OrderlyClientOptions = {
  /** Where Orderly runs, e.g. `http://localhost:4000`. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <apiKey>`. */
  apiKey: string;
  /** Replaces globalThis.fetch, e.g. for a proxy agent or in tests. */
  fetch?: Fetch;
  /** Retries on 429, 5xx and network errors; `{ max_attempts: 1 }` turns them off. */
  retry?: RetryOptions;
};

/** Per call: an AbortSignal that also cuts short the waits between retries. */
export type CallOptions = { signal?: AbortSignal };

/** Per call that changes data: also the Idempotency-Key to send (default: a new random one per call). */
export type WriteOptions = CallOptions & { idempotencyKey?: string };

export type OrderlyClient = {
  /**
   * The typed openapi-fetch client for every route in the document, with the same auth,
   * idempotency keys, retries and errors. It throws OrderlyError on non-2xx, so `error` is
   * never set in what it returns.
   */
  client: Client<paths>;
  system: {
    /** GET /health. Ready or not (the 503 answer), it returns the report; it throws only if there is none. */
    healthCheck(options?: CallOptions): Promise<Health>;
  };
  auth: {
    /** GET /v1/auth/me: the tenant, role and key behind this client. */
    me(options?: CallOptions): Promise<Me>;
  };
  users: {
    list(query?: PageQuery, options?: CallOptions): Promise<UserPage>;
    get(user_id: string, options?: CallOptions): Promise<User>;
    create(user: CreateUser, options?: WriteOptions): Promise<User>;
    update(user_id: string, patch: UpdateUser, options?: WriteOptions): Promise<User>;
  };
  apiKeys: {
    list(query?: PageQuery, options?: CallOptions): Promise<ApiKeyPage>;
    get(api_key_id: string, options?: CallOptions): Promise<ApiKey>;
    /** The answer's `key` is the secret: the only time it is shown. */
    create(apiKey: CreateApiKey, options?: WriteOptions): Promise<CreatedApiKey>;
    revoke(api_key_id: string, options?: WriteOptions): Promise<ApiKey>;
  };
  events: {
    /** The event log in sequence order after `after`; pass `next_after` back as `after` to read on. */
    list(query?: EventQuery, options?: CallOptions): Promise<EventPage>;
  };
  /** Seed 000's `order.create`, `order.get`, `order.update`, `order.list`, and the everyday actions. */
  orders: {
    /** Captures, routes and reserves; the same channel order id again returns the order already there. */
    create(order: CreateOrder, options?: WriteOptions): Promise<Order>;
    get(order_id: string, options?: CallOptions): Promise<Order>;
    update(order_id: string, patch: UpdateOrder, options?: WriteOptions): Promise<Order>;
    list(query?: OrderQuery, options?: CallOptions): Promise<OrderSummaryPage>;
    hold(order_id: string, reason: string, options?: WriteOptions): Promise<Order>;
    releaseHold(order_id: string, note?: string, options?: WriteOptions): Promise<Order>;
    cancel(order_id: string, request: CancelOrder, options?: WriteOptions): Promise<Order>;
    /** The audit trail, oldest first. */
    timeline(order_id: string, options?: CallOptions): Promise<OrderEvent[]>;
    /** Releases to fulfillment: one fulfillment order per location holding its units. */
    release(order_id: string, options?: WriteOptions): Promise<Order>;
    /** Its shipments as "Shipment 1 of 2 delivered", with tracking. */
    shipments(order_id: string, options?: CallOptions): Promise<OrderShipment[]>;
  };
  fulfillment: {
    /** The pick queue: earliest ship-by date first. */
    list(query?: FulfillmentQuery, options?: CallOptions): Promise<FulfillmentOrderPage>;
    get(fulfillment_order_id: string, options?: CallOptions): Promise<FulfillmentOrder>;
    step(
      fulfillment_order_id: string,
      step: FulfillmentStep,
      options?: WriteOptions,
    ): Promise<FulfillmentOrder>;
    /** The location cannot fulfil: its stock is released and the units routed elsewhere. */
    fail(fulfillment_order_id: string, reason: string, options?: WriteOptions): Promise<FulfillmentOrder>;
    ship(
      fulfillment_order_id: string,
      shipment: CreateShipment,
      options?: WriteOptions,
    ): Promise<ShipmentCreated>;
    track(shipment_id: string, update: TrackingUpdate, options?: WriteOptions): Promise<Shipment>;
  };
  returns: {
    create(request: CreateReturn, options?: WriteOptions): Promise<Return>;
    get(return_id: string, options?: CallOptions): Promise<Return>;
    list(query?: ReturnQuery, options?: CallOptions): Promise<ReturnPage>;
    approve(return_id: string, note?: string, options?: WriteOptions): Promise<Return>;
    reject(return_id: string, reason: string, options?: WriteOptions): Promise<Return>;
    /** The parcel arrived, at any location, with a disposition per line. */
    receive(return_id: string, receipt: ReturnReceipt, options?: WriteOptions): Promise<Return>;
  };
};

export function createOrderlyClient(options: OrderlyClientOptions): OrderlyClient {
  const { baseUrl, apiKey } = options;
  if (typeof baseUrl !== 'string') throw new TypeError('createOrderlyClient: baseUrl is required.');
  if (typeof apiKey !== 'string' || apiKey === '') {
    throw new TypeError('createOrderlyClient: apiKey is required.');
  }
  const policy = retryPolicy(options.retry);
  const fetch: Fetch = options.fetch ?? ((request) => globalThis.fetch(request));

  const client = createClient<paths>({ baseUrl, fetch: withRetries(fetch, policy) });
  client.use(bearerAuth(apiKey), idempotencyKeys(), problemsAsErrors());

  // /health answers 503 with the same report when not ready. That is the answer, not a failure, so
  // it is neither retried nor thrown.
  const notReady = (status: number) => status === 503;
  const probe = createClient<paths>({
    baseUrl,
    fetch: withRetries(fetch, policy, (status) => !notReady(status) && retryableStatus(status)),
  });
  probe.use(bearerAuth(apiKey), problemsAsErrors(notReady));

  const write = (o: WriteOptions = {}) => ({
    signal: o.signal,
    headers: o.idempotencyKey === undefined ? undefined : { 'idempotency-key': o.idempotencyKey },
  });

  return {
    client,
    system: {
      async healthCheck(o = {}) {
        const { data, error, response } = await probe.GET('/health', { signal: o.signal });
        return present(data ?? error, response);
      },
    },
    auth: {
      me: async (o = {}) => dataOf(await client.GET('/v1/auth/me', { signal: o.signal })),
    },
    users: {
      list: async (query, o = {}) =>
        // Typed as UserPage for the same reason as `User`: items are never null.
        dataOf(await client.GET('/v1/users', { params: { query }, signal: o.signal })) as UserPage,
      get: async (user_id, o = {}) =>
        dataOf(await client.GET('/v1/users/{user_id}', { params: { path: { user_id } }, signal: o.signal })),
      create: async (user, o) => dataOf(await client.POST('/v1/users', { body: user, ...write(o) })),
      update: async (user_id, patch, o) =>
        dataOf(
          await client.PATCH('/v1/users/{user_id}', {
            params: { path: { user_id } },
            body: patch,
            ...write(o),
          }),
        ),
    },
    apiKeys: {
      list: async (query, o = {}) =>
        dataOf(await client.GET('/v1/api-keys', { params: { query }, signal: o.signal })),
      get: async (api_key_id, o = {}) =>
        dataOf(
          await client.GET('/v1/api-keys/{api_key_id}', {
            params: { path: { api_key_id } },
            signal: o.signal,
          }),
        ),
      create: async (apiKey, o) => dataOf(await client.POST('/v1/api-keys', { body: apiKey, ...write(o) })),
      revoke: async (api_key_id, o) =>
        dataOf(
          await client.POST('/v1/api-keys/{api_key_id}/revoke', {
            params: { path: { api_key_id } },
            ...write(o),
          }),
        ),
    },
    events: {
      list: async (query = {}, o = {}) => {
        const { types, ...rest } = query;
        const params = { ...rest, types: Array.isArray(types) ? types.join(',') : types };
        return dataOf(await client.GET('/v1/events', { params: { query: params }, signal: o.signal }));
      },
    },
    orders: {
      // The server fills in the defaults the generated body type lists as required.
      create: async (order, o) =>
        dataOf(
          await client.POST('/v1/orders', {
            body: order as components['schemas']['CreateOrder'],
            ...write(o),
          }),
        ),
      get: async (order_id, o = {}) =>
        dataOf(
          await client.GET('/v1/orders/{order_id}', { params: { path: { order_id } }, signal: o.signal }),
        ),
      update: async (order_id, patch, o) =>
        dataOf(
          await client.PATCH('/v1/orders/{order_id}', {
            params: { path: { order_id } },
            body: patch,
            ...write(o),
          }),
        ),
      list: async (query = {}, o = {}) =>
        dataOf(await client.GET('/v1/orders', { params: { query }, signal: o.signal })) as OrderSummaryPage,
      hold: async (order_id, reason, o) =>
        dataOf(
          await client.POST('/v1/orders/{order_id}/hold', {
            params: { path: { order_id } },
            body: { reason },
            ...write(o),
          }),
        ),
      releaseHold: async (order_id, note, o) =>
        dataOf(
          await client.POST('/v1/orders/{order_id}/release-hold', {
            params: { path: { order_id } },
            body: note === undefined ? {} : { note },
            ...write(o),
          }),
        ),
      cancel: async (order_id, request, o) =>
        dataOf(
          await client.POST('/v1/orders/{order_id}/cancel', {
            params: { path: { order_id } },
            body: request,
            ...write(o),
          }),
        ),
      timeline: async (order_id, o = {}) =>
        dataOf(
          await client.GET('/v1/orders/{order_id}/timeline', {
            params: { path: { order_id } },
            signal: o.signal,
          }),
        ).data,
      release: async (order_id, o) =>
        dataOf(
          await client.POST('/v1/orders/{order_id}/release', {
            params: { path: { order_id } },
            body: {},
            ...write(o),
          }),
        ),
      shipments: async (order_id, o = {}) =>
        dataOf(
          await client.GET('/v1/orders/{order_id}/shipments', {
            params: { path: { order_id } },
            signal: o.signal,
          }),
        ).data,
    },
    fulfillment: {
      list: async (query = {}, o = {}) =>
        dataOf(await client.GET('/v1/fulfillment-orders', { params: { query }, signal: o.signal })),
      get: async (fulfillment_order_id, o = {}) =>
        dataOf(
          await client.GET('/v1/fulfillment-orders/{fulfillment_order_id}', {
            params: { path: { fulfillment_order_id } },
            signal: o.signal,
          }),
        ),
      step: async (fulfillment_order_id, step, o) =>
        dataOf(
          await client.POST('/v1/fulfillment-orders/{fulfillment_order_id}/status', {
            params: { path: { fulfillment_order_id } },
            body: step,
            ...write(o),
          }),
        ),
      fail: async (fulfillment_order_id, reason, o) =>
        dataOf(
          await client.POST('/v1/fulfillment-orders/{fulfillment_order_id}/fail', {
            params: { path: { fulfillment_order_id } },
            body: { reason },
            ...write(o),
          }),
        ),
      ship: async (fulfillment_order_id, shipment, o) =>
        dataOf(
          await client.POST('/v1/fulfillment-orders/{fulfillment_order_id}/shipments', {
            params: { path: { fulfillment_order_id } },
            body: shipment,
            ...write(o),
          }),
        ),
      track: async (shipment_id, update, o) =>
        dataOf(
          await client.POST('/v1/shipments/{shipment_id}/tracking', {
            params: { path: { shipment_id } },
            body: update,
            ...write(o),
          }),
        ),
    },
    returns: {
      // The server fills in the default resolution the generated body type lists as required.
      create: async (request, o) =>
        dataOf(
          await client.POST('/v1/returns', {
            body: request as components['schemas']['CreateReturn'],
            ...write(o),
          }),
        ),
      get: async (return_id, o = {}) =>
        dataOf(
          await client.GET('/v1/returns/{return_id}', { params: { path: { return_id } }, signal: o.signal }),
        ),
      list: async (query = {}, o = {}) =>
        dataOf(await client.GET('/v1/returns', { params: { query }, signal: o.signal })),
      approve: async (return_id, note, o) =>
        dataOf(
          await client.POST('/v1/returns/{return_id}/approve', {
            params: { path: { return_id } },
            body: note === undefined ? {} : { note },
            ...write(o),
          }),
        ),
      reject: async (return_id, reason, o) =>
        dataOf(
          await client.POST('/v1/returns/{return_id}/reject', {
            params: { path: { return_id } },
            body: { reason },
            ...write(o),
          }),
        ),
      receive: async (return_id, receipt, o) =>
        dataOf(
          await client.POST('/v1/returns/{return_id}/receive', {
            params: { path: { return_id } },
            body: receipt,
            ...write(o),
          }),
        ),
    },
  };
}

/** The body of a 2xx answer (non-2xx answers have already been thrown by the middleware). */
function dataOf<T>(result: { data?: T; response: Response }): NonNullable<T> {
  return present(result.data, result.response);
}

function present<T>(value: T | undefined, response: Response): NonNullable<T> {
  if (value === undefined || value === null) {
    throw new Error(`Orderly answered ${response.status} to ${response.url} without the expected JSON body.`);
  }
  return value;
}
