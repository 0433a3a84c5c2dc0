import { createHash } from 'node:crypto';
import { z } from 'zod';

/**
 * The carrier gateway fulfillment and returns use for tracking and return labels.
 *
 * Two gateways:
 * - `easyPostGateway`: a small fetch-based client for the EasyPost REST API (v2). It speaks the
 *   documented protocol directly rather than through the `@easypost/api` package, which pulls in
 *   superagent, uuid and yargs and cannot be pointed at a local test server as simply as a base
 *   URL and an injected `fetch`. Every response this module relies on is validated with zod, so a
 *   changed response fails with an error naming the endpoint and the field, not a TypeError later.
 * - `offlineGateway`: deterministic, no network; for demos, tests and installs without a key.
 *
 * EasyPost protocol, as documented:
 * - Auth: HTTP Basic, the API key as username and an empty password.
 * - Errors: a 4xx/5xx status with `{ error: { code, message, errors } }`, where `errors` is an
 *   array of `{ field, message, suggestion }` objects or of strings.
 * - Trackers: `POST /v2/trackers` `{ tracker: { tracking_code, carrier } }` answers a Tracker (a
 *   repeat of the same code and carrier returns the original Tracker); `GET /v2/trackers/:id`.
 * - Return labels: `POST /v2/shipments` with `is_return: true` and the addresses *as on the
 *   outbound shipment* — EasyPost swaps `to_address` and `from_address` itself ("do not swap the
 *   addresses yourself"). So the customer goes in `to_address` and the return location in
 *   `from_address`. Parcel weight is in ounces. Then `POST /v2/shipments/:id/buy` `{ rate: { id } }`
 *   answers the Shipment with `tracking_code` and `postage_label.label_url`.
 * - Webhooks: an Event with `description: 'tracker.updated'` (or `'tracker.created'`) carries the
 *   Tracker in `result`. Verifying its `X-Hmac-Signature` is the receiving route's job, not this
 *   parser's.
 *
 * Status mapping (EasyPost → ours):
 * - in_transit, available_for_pickup → in_transit (waiting at a pickup point is not delivered)
 * - out_for_delivery → out_for_delivery; delivered → delivered
 * - return_to_sender, failure, error, cancelled → exception
 * - pre_transit → skipped: it means the label exists but the carrier does not have the parcel
 *   yet. Reporting that as in_transit would, for a return label, claim the customer has sent the
 *   parcel back when they have only printed the label.
 * - unknown, and any status EasyPost may add later → skipped.
 */

export type TrackingStatus = 'in_transit' | 'out_for_delivery' | 'delivered' | 'exception';

export type TrackingUpdate = {
  status: TrackingStatus;
  /** ISO 8601 UTC timestamp. */
  occurred_at: string;
  description: string;
  location: string | null;
  /** YYYY-MM-DD; the carrier's current estimate, carried only on the newest update. */
  estimated_delivery_date: string | null;
};

export type ReturnLabel = {
  carrier: string;
  service: string;
  tracking_number: string;
  label_url: string | null;
  rate: number | null;
};

export type Address = {
  name?: string;
  line1?: string;
  line2?: string;
  city?: string;
  region?: string;
  postal_code?: string;
  country: string;
  phone?: string;
};

export interface CarrierGateway {
  readonly name: string;
  /** Latest known updates for a tracking number, oldest first. */
  track(carrier: string, trackingNumber: string): Promise<TrackingUpdate[]>;
  /** A prepaid return label from the customer's address to the return location. */
  createReturnLabel(input: {
    from: Address;
    to: Address;
    weight_oz: number;
    reference: string;
  }): Promise<ReturnLabel>;
}

/** An EasyPost call that failed: the HTTP status (null for a timeout or network failure) and EasyPost's error code. */
export class CarrierError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
    readonly code: string | null,
  ) {
    super(message);
    this.name = 'CarrierError';
  }
}

// --- EasyPost response shapes (only what this module reads) ---------------------------------

const nullableString = z.string().nullish();

const TrackingLocationSchema = z.object({
  city: nullableString,
  state: nullableString,
  country: nullableString,
  zip: nullableString,
});

const TrackingDetailSchema = z.object({
  status: z.string(),
  message: nullableString,
  status_detail: nullableString,
  datetime: z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'not a date-time'),
  tracking_location: TrackingLocationSchema.nullish(),
});

const TrackerSchema = z.object({
  id: z.string(),
  tracking_code: z.string(),
  carrier: nullableString,
  status: z.string(),
  est_delivery_date: nullableString,
  updated_at: nullableString,
  tracking_details: z.array(TrackingDetailSchema),
});
type Tracker = z.infer<typeof TrackerSchema>;

const RateSchema = z.object({
  id: z.string(),
  carrier: z.string(),
  service: z.string(),
  rate: z.string(),
  currency: nullableString,
});

const CreatedShipmentSchema = z.object({
  id: z.string(),
  rates: z.array(RateSchema),
  messages: z.array(z.object({ carrier: nullableString, message: z.unknown() }).loose()).nullish(),
});

const BoughtShipmentSchema = z.object({
  id: z.string(),
  tracking_code: z.string().min(1),
  postage_label: z.object({ label_url: nullableString }).nullish(),
  selected_rate: RateSchema.nullish(),
});

const ErrorBodySchema = z.object({
  error: z.object({
    code: nullableString,
    message: z.union([z.string(), z.array(z.string())]).nullish(),
    errors: z
      .array(z.union([z.string(), z.object({ field: nullableString, message: nullableString }).loose()]))
      .nullish(),
  }),
});

const EventSchema = z.object({
  object: z.literal('Event').optional(),
  description: z.enum(['tracker.updated', 'tracker.created']),
  result: TrackerSchema,
});

// --- Mapping -----------------------------------------------------------------------------------

const STATUS_MAP: Record<string, TrackingStatus> = {
  in_transit: 'in_transit',
  available_for_pickup: 'in_transit',
  out_for_delivery: 'out_for_delivery',
  delivered: 'delivered',
  return_to_sender: 'exception',
  failure: 'exception',
  error: 'exception',
  cancelled: 'exception',
};

function mapStatus(status: string): TrackingStatus | null {
  return Object.hasOwn(STATUS_MAP, status) ? STATUS_MAP[status]! : null;
}

function formatLocation(loc: z.infer<typeof TrackingLocationSchema> | null | undefined): string | null {
  if (!loc) return null;
  const clean = (s: string | null | undefined) => (s ?? '').trim();
  const stateZip = [clean(loc.state), clean(loc.zip)].filter(Boolean).join(' ');
  const text = [clean(loc.city), stateZip, clean(loc.country)].filter(Boolean).join(', ');
  return text || null;
}

/** EasyPost gives `est_delivery_date` as a date-time ("2014-08-27T00:00:00Z"); we keep the date. */
function estimatedDate(value: string | null | undefined): string | null {
  if (!value) return null;
  const m = /^(\d{4}-\d{2}-\d{2})/.exec(value);
  return m ? m[1]! : null;
}

function updatesFromTracker(tracker: Tracker): TrackingUpdate[] {
  const updates = tracker.tracking_details
    .map((d, i) => ({ d, i, status: mapStatus(d.status), at: Date.parse(d.datetime) }))
    .filter((x): x is typeof x & { status: TrackingStatus } => x.status !== null)
    .sort((a, b) => a.at - b.at || a.i - b.i)
    .map(
      ({ d, status, at }): TrackingUpdate => ({
        status,
        occurred_at: new Date(at).toISOString(),
        description: d.message?.trim() || d.status_detail || d.status,
        location: formatLocation(d.tracking_location),
        estimated_delivery_date: null,
      }),
    );
  // A tracker can carry a status without any detail (e.g. 'error' for a code the carrier does
  // not know): report that one status, at the tracker's last update.
  const trackerStatus = mapStatus(tracker.status);
  if (
    updates.length === 0 &&
    trackerStatus &&
    tracker.updated_at &&
    !Number.isNaN(Date.parse(tracker.updated_at))
  ) {
    updates.push({
      status: trackerStatus,
      occurred_at: new Date(tracker.updated_at).toISOString(),
      description: tracker.status,
      location: null,
      estimated_delivery_date: null,
    });
  }
  const last = updates.at(-1);
  if (last) last.estimated_delivery_date = estimatedDate(tracker.est_delivery_date);
  return updates;
}

// --- EasyPost client ---------------------------------------------------------------------------

const DEFAULT_BASE_URL = 'https://api.easypost.com/v2';
const DEFAULT_TIMEOUT_MS = 15_000;
const TRACKER_IDS_MAX = 10_000;
const ERROR_TEXT_MAX = 300;

const clip = (s: string) => (s.length > ERROR_TEXT_MAX ? `${s.slice(0, ERROR_TEXT_MAX - 1)}…` : s);

function describeError(status: number, text: string): { message: string; code: string | null } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { message: `HTTP ${status}${text.trim() ? `: ${clip(text.trim())}` : ''}`, code: null };
  }
  const parsed = ErrorBodySchema.safeParse(json);
  if (!parsed.success) return { message: `HTTP ${status}: ${clip(text.trim())}`, code: null };
  const { code, message, errors } = parsed.data.error;
  const text2 = Array.isArray(message) ? message.join(', ') : (message ?? '');
  const fields = (errors ?? [])
    .map((e) => (typeof e === 'string' ? e : [e.field, e.message].filter(Boolean).join(': ')))
    .filter(Boolean);
  const parts = [`HTTP ${status}`, code, text2].filter(Boolean).join(' ');
  return {
    message: clip(fields.length ? `${parts} (${fields.join('; ')})` : parts),
    code: code ?? null,
  };
}

function toEasyPostAddress(a: Address): Record<string, string> {
  const out: Record<string, string> = {};
  const set = (k: string, v: string | undefined) => {
    if (v !== undefined && v !== '') out[k] = v;
  };
  set('name', a.name);
  set('street1', a.line1);
  set('street2', a.line2);
  set('city', a.city);
  set('state', a.region);
  set('zip', a.postal_code);
  set('country', a.country);
  set('phone', a.phone);
  return out;
}

type Rate = z.infer<typeof RateSchema>;

/** Cheapest rate; ties broken by service name, then carrier, so the choice is stable. */
function cheapest(rates: Rate[]): (Rate & { amount: number }) | null {
  const priced = rates
    .map((r) => ({ ...r, amount: Number(r.rate) }))
    .filter((r) => r.rate.trim() !== '' && Number.isFinite(r.amount));
  priced.sort(
    (a, b) =>
      a.amount - b.amount ||
      (a.service < b.service ? -1 : a.service > b.service ? 1 : 0) ||
      (a.carrier < b.carrier ? -1 : a.carrier > b.carrier ? 1 : 0),
  );
  return priced[0] ?? null;
}

export function easyPostGateway(opts: {
  apiKey: string;
  baseUrl?: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
}): CarrierGateway {
  if (!opts.apiKey) throw new Error('easyPostGateway needs an API key');
  const base = (opts.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
  const doFetch = opts.fetch ?? globalThis.fetch;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const authorization = `Basic ${Buffer.from(`${opts.apiKey}:`).toString('base64')}`;
  // Tracker ids by carrier and code, so a repeat track() reads the tracker instead of creating
  // (EasyPost would hand back the original anyway, within three months).
  const trackerIds = new Map<string, string>();

  async function call<T>(
    method: 'GET' | 'POST',
    path: string,
    schema: z.ZodType<T>,
    body?: unknown,
  ): Promise<T> {
    const what = `EasyPost ${method} ${path}`;
    let res: Response;
    try {
      res = await doFetch(`${base}${path}`, {
        method,
        headers: {
          authorization,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      const e = err as Error;
      if (e.name === 'TimeoutError' || e.name === 'AbortError') {
        throw new CarrierError(`${what} timed out after ${timeoutMs} ms`, null, null);
      }
      throw new CarrierError(`${what} failed: ${e.message}`, null, null);
    }
    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      const e = err as Error;
      const timedOut = e.name === 'TimeoutError' || e.name === 'AbortError';
      throw new CarrierError(
        timedOut
          ? `${what} timed out after ${timeoutMs} ms`
          : `${what} failed reading the answer: ${e.message}`,
        res.status,
        null,
      );
    }
    if (!res.ok) {
      const { message, code } = describeError(res.status, text);
      throw new CarrierError(`${what} failed: ${message}`, res.status, code);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new CarrierError(
        `${what}: HTTP ${res.status} answer is not JSON: ${clip(text)}`,
        res.status,
        null,
      );
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const issues = parsed.error.issues
        .slice(0, 5)
        .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
        .join('; ');
      throw new CarrierError(`${what}: unexpected answer (${issues})`, res.status, null);
    }
    return parsed.data;
  }

  const remember = (key: string, id: string) => {
    trackerIds.delete(key);
    trackerIds.set(key, id);
    if (trackerIds.size > TRACKER_IDS_MAX) trackerIds.delete(trackerIds.keys().next().value!);
  };

  return {
    name: 'easypost',

    async track(carrier, trackingNumber) {
      if (!trackingNumber.trim()) throw new Error('track needs a tracking number');
      const key = `${carrier}\u0000${trackingNumber}`;
      const known = trackerIds.get(key);
      if (known) {
        try {
          return updatesFromTracker(
            await call('GET', `/trackers/${encodeURIComponent(known)}`, TrackerSchema),
          );
        } catch (err) {
          // A deleted tracker answers 404: forget it and create it again.
          if (!(err instanceof CarrierError && err.status === 404)) throw err;
          trackerIds.delete(key);
        }
      }
      const tracker = await call('POST', '/trackers', TrackerSchema, {
        tracker: { tracking_code: trackingNumber, ...(carrier ? { carrier } : {}) },
      });
      remember(key, tracker.id);
      return updatesFromTracker(tracker);
    },

    async createReturnLabel(input) {
      if (!(Number.isFinite(input.weight_oz) && input.weight_oz > 0)) {
        throw new Error(`createReturnLabel needs a positive weight_oz, got ${input.weight_oz}`);
      }
      // EasyPost swaps the addresses of a return shipment itself: send them as the outbound
      // shipment had them (return location → customer).
      const shipment = await call('POST', '/shipments', CreatedShipmentSchema, {
        shipment: {
          is_return: true,
          to_address: toEasyPostAddress(input.from),
          from_address: toEasyPostAddress(input.to),
          // Weights go to one decimal place of an ounce; round up so a label is never under-declared.
          parcel: { weight: Math.ceil(Number((input.weight_oz * 10).toFixed(6))) / 10 },
          reference: input.reference,
        },
      });
      const rate = cheapest(shipment.rates);
      if (!rate) {
        const why = (shipment.messages ?? [])
          .map((m) =>
            [m.carrier, typeof m.message === 'string' ? m.message : JSON.stringify(m.message)]
              .filter(Boolean)
              .join(': '),
          )
          .join('; ');
        throw new CarrierError(
          `EasyPost shipment ${shipment.id} has no rates to buy${why ? ` (${clip(why)})` : ''}`,
          null,
          null,
        );
      }
      const bought = await call(
        'POST',
        `/shipments/${encodeURIComponent(shipment.id)}/buy`,
        BoughtShipmentSchema,
        {
          rate: { id: rate.id },
        },
      );
      const selected = bought.selected_rate ?? rate;
      const amount = Number(selected.rate);
      return {
        carrier: selected.carrier,
        service: selected.service,
        tracking_number: bought.tracking_code,
        label_url: bought.postage_label?.label_url ?? null,
        rate: Number.isFinite(amount) ? amount : null,
      };
    },
  };
}

// --- Offline gateway ---------------------------------------------------------------------------

/**
 * No network. A return label's tracking number is 'ORD' and the first 12 hex digits (upper case)
 * of the SHA-256 of its reference, so the same reference always gets the same label. track()
 * knows nothing and answers [].
 */
export function offlineGateway(): CarrierGateway {
  return {
    name: 'offline',
    async track() {
      return [];
    },
    async createReturnLabel(input) {
      if (!(Number.isFinite(input.weight_oz) && input.weight_oz > 0)) {
        throw new Error(`createReturnLabel needs a positive weight_oz, got ${input.weight_oz}`);
      }
      const hash = createHash('sha256').update(input.reference).digest('hex').slice(0, 12).toUpperCase();
      return {
        carrier: 'offline',
        service: 'return',
        tracking_number: `ORD${hash}`,
        label_url: null,
        rate: null,
      };
    },
  };
}

// --- Webhooks ----------------------------------------------------------------------------------

/**
 * The tracking updates in an EasyPost webhook Event (`tracker.updated` or `tracker.created`),
 * given the parsed JSON body (or the raw text). Anything else — another event type, a body that
 * is not an Event, a Tracker of an unexpected shape — gives null.
 */
export function parseEasyPostEvent(
  body: unknown,
): { tracking_number: string; carrier: string; updates: TrackingUpdate[] } | null {
  let value = body;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return null;
    }
  }
  const parsed = EventSchema.safeParse(value);
  if (!parsed.success) return null;
  const tracker = parsed.data.result;
  return {
    tracking_number: tracker.tracking_code,
    carrier: tracker.carrier ?? '',
    updates: updatesFromTracker(tracker),
  };
}

// --- Choice ------------------------------------------------------------------------------------

/** EasyPost when EASYPOST_API_KEY is set (EASYPOST_BASE_URL overrides the API address), else offline. */
export function gatewayFromEnv(env: NodeJS.ProcessEnv = process.env): CarrierGateway {
  const apiKey = env.EASYPOST_API_KEY?.trim();
  if (!apiKey) return offlineGateway();
  const baseUrl = env.EASYPOST_BASE_URL?.trim();
  return easyPostGateway({ apiKey, ...(baseUrl ? { baseUrl } : {}) });
}
