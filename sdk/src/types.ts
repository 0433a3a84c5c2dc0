/**
 * Friendly names for the generated types. Every one is derived from `paths`/`components` in
 * schema.d.ts (made by `npm run sdk:generate` from the server's OpenAPI document); none is written by
 * hand, so a server change shows up here as a type change.
 */
import type { components, paths, webhooks } from './schema.d.ts';

export type { components, paths, webhooks };

type Schemas = components['schemas'];

export type User = Schemas['User'];
export type ApiKey = Schemas['ApiKey'];
/** An API key as created: the only answer that carries the secret `key`. */
export type CreatedApiKey = Schemas['CreatedApiKey'];
export type Event = Schemas['Event'];
/** An RFC 9457 problem document, as every non-2xx answer carries it. */
export type Problem = Schemas['Problem'];
export type FieldError = NonNullable<Problem['errors']>[number];
export type Me = Schemas['Me'];
export type Tenant = Schemas['Tenant'];
export type Health = Schemas['Health'];
export type Role = User['role'];

export type CreateUser = Schemas['CreateUser'];
export type UpdateUser = Schemas['UpdateUser'];
export type CreateApiKey = Schemas['CreateApiKey'];

/** A page of a list answer, with the items typed as `Item` (see `User` for why). */
type PageOf<P extends { data: unknown[] }, Item> = Omit<P, 'data'> & { data: Item[] };
export type UserPage = PageOf<Schemas['UserPage'], User>;
export type ApiKeyPage = Schemas['ApiKeyPage'];
export type EventPage = Schemas['EventPage'];

/** `limit` and `cursor` (the previous page's `next_cursor`) of the cursor-paged lists. */
export type PageQuery = NonNullable<paths['/v1/users']['get']['parameters']['query']>;

type EventsQuery = NonNullable<paths['/v1/events']['get']['parameters']['query']>;
/** `after`, `limit`, and `types`: a comma-separated string or a list; `order.*` matches a prefix. */
export type EventQuery = Omit<EventsQuery, 'types'> & { types?: EventsQuery['types'] | string[] };

export type Order = Schemas['Order'];
export type OrderSummary = Schemas['OrderSummary'];
export type OrderSummaryPage = Schemas['OrderSummaryPage'];
export type OrderEvent = Schemas['OrderEvent'];
export type OrderStatus = Schemas['OrderStatus'];
/** Fields the server fills in when they are not sent are optional here (the document lists them as required). */
type WithDefaults<T, K extends keyof T> = Omit<T, K> & Partial<Pick<T, K>>;
type OrderLineInput = Schemas['CreateOrder']['lines'][number];
export type CreateOrder = WithDefaults<
  Omit<Schemas['CreateOrder'], 'lines'>,
  'order_type' | 'currency' | 'tags'
> & {
  lines: WithDefaults<OrderLineInput, 'discount' | 'tax'>[];
};
export type UpdateOrder = Schemas['UpdateOrder'];
export type CancelOrder = Schemas['CancelRequest'];
/** Filters, search (`q`), sort and paging of `GET /v1/orders`. */
export type OrderQuery = Omit<NonNullable<paths['/v1/orders']['get']['parameters']['query']>, 'format'>;

export type FulfillmentOrder = Schemas['FulfillmentOrder'];
export type FulfillmentOrderPage = Schemas['FulfillmentOrderPage'];
export type FulfillmentQuery = NonNullable<paths['/v1/fulfillment-orders']['get']['parameters']['query']>;
export type FulfillmentStep = Schemas['FulfillmentStep'];
export type Shipment = Schemas['Shipment'];
export type OrderShipment = Schemas['OrderShipment'];
/** `shipped_at` defaults to now; without `lines`, everything not yet shipped. */
export type CreateShipment = Schemas['CreateShipment'];
export type ShipmentCreated = Schemas['ShipmentCreated'];
export type TrackingUpdate = Schemas['TrackingUpdate'];
export type Return = Schemas['Return'];
export type ReturnPage = Schemas['ReturnPage'];
export type ReturnQuery = NonNullable<paths['/v1/returns']['get']['parameters']['query']>;
export type CreateReturn = WithDefaults<Schemas['CreateReturn'], 'resolution'>;
export type ReturnReceipt = Schemas['ReturnReceipt'];

/** Every event type of the catalogue (the OpenAPI document's `webhooks`). */
export type EventType = keyof webhooks;
/** The body a webhook endpoint is POSTed for `T`: `{ type, timestamp, data: TypedEvent<T> }`. */
export type WebhookPayload<T extends EventType = EventType> = {
  [K in T]: NonNullable<webhooks[K]['post']['requestBody']>['content']['application/json'];
}[T];
/** One event as `GET /v1/events` lists it, with `type` and `data` narrowed; a union when `T` is. */
export type TypedEvent<T extends EventType = EventType> = WebhookPayload<T>['data'];
/** The `data` of each event type, by type. */
export type EventPayloads = { [K in EventType]: TypedEvent<K>['data'] };
