import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  type Address,
  CarrierError,
  easyPostGateway,
  gatewayFromEnv,
  offlineGateway,
  parseEasyPostEvent,
} from '../src/modules/fulfillment/carrier.ts';

/**
 * A local server that speaks the EasyPost v2 protocol for the endpoints the gateway uses. Each
 * test sets `handler`; every request is recorded with its auth header and parsed JSON body.
 */

type Seen = {
  method: string;
  path: string;
  authorization: string | undefined;
  contentType: string | undefined;
  body: any;
};
type Reply = { status: number; body: unknown } | 'hang';

let server: http.Server;
let baseUrl: string;
let seen: Seen[] = [];
let handler: (req: Seen) => Reply = () => ({ status: 500, body: 'no handler' });

const API_KEY = 'EZTK_test_key_123';
const expectedAuth = `Basic ${Buffer.from(`${API_KEY}:`).toString('base64')}`;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => {
      raw += c;
    });
    req.on('end', () => {
      const s: Seen = {
        method: req.method ?? '',
        path: req.url ?? '',
        authorization: req.headers.authorization,
        contentType: req.headers['content-type'],
        body: raw ? JSON.parse(raw) : undefined,
      };
      seen.push(s);
      const reply = handler(s);
      if (reply === 'hang') return; // never answers
      // No keep-alive: afterEach drops every socket (the hung ones), and a pooled socket closed
      // under the client would fail the next test's POST.
      res.writeHead(reply.status, {
        connection: 'close',
        'content-type': typeof reply.body === 'string' ? 'text/plain' : 'application/json',
      });
      res.end(typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v2`;
});

afterEach(() => {
  seen = [];
  handler = () => ({ status: 500, body: 'no handler' });
  server.closeAllConnections();
  vi.restoreAllMocks();
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const gateway = (timeoutMs = 5_000) => easyPostGateway({ apiKey: API_KEY, baseUrl, timeoutMs });

const detail = (
  status: string,
  datetime: string,
  message: string,
  loc: Record<string, string | null> = {},
) => ({
  object: 'TrackingDetail',
  status,
  message,
  datetime,
  tracking_location: {
    object: 'TrackingLocation',
    city: null,
    state: null,
    country: null,
    zip: null,
    ...loc,
  },
});

const tracker = (over: Record<string, unknown> = {}) => ({
  id: 'trk_1',
  object: 'Tracker',
  mode: 'test',
  tracking_code: '1Z999',
  carrier: 'UPS',
  status: 'out_for_delivery',
  est_delivery_date: '2024-05-03T00:00:00Z',
  created_at: '2024-05-01T10:00:00Z',
  updated_at: '2024-05-03T08:00:00Z',
  tracking_details: [
    // Deliberately out of order: the gateway sorts oldest first.
    detail('out_for_delivery', '2024-05-03T07:30:00Z', 'Out for delivery', {
      city: 'Redondo Beach',
      state: 'CA',
      zip: '90277',
      country: 'US',
    }),
    detail('pre_transit', '2024-05-01T10:00:00Z', 'Shipping label created'),
    detail('in_transit', '2024-05-02T09:15:00-07:00', 'Arrived at facility', {
      city: 'Ontario',
      state: 'CA',
    }),
    detail('unknown', '2024-05-02T12:00:00Z', 'Status not available'),
  ],
  ...over,
});

describe('easyPostGateway.track', () => {
  it('creates a tracker with Basic auth and the documented body, and maps its details oldest first', async () => {
    handler = () => ({ status: 201, body: tracker() });
    const updates = await gateway().track('UPS', '1Z999');

    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ method: 'POST', path: '/v2/trackers', authorization: expectedAuth });
    expect(seen[0]!.contentType).toContain('application/json');
    expect(seen[0]!.body).toEqual({ tracker: { tracking_code: '1Z999', carrier: 'UPS' } });

    // pre_transit and unknown are skipped; the -07:00 datetime is normalised to UTC.
    expect(updates).toEqual([
      {
        status: 'in_transit',
        occurred_at: '2024-05-02T16:15:00.000Z',
        description: 'Arrived at facility',
        location: 'Ontario, CA',
        estimated_delivery_date: null,
      },
      {
        status: 'out_for_delivery',
        occurred_at: '2024-05-03T07:30:00.000Z',
        description: 'Out for delivery',
        location: 'Redondo Beach, CA 90277, US',
        estimated_delivery_date: '2024-05-03',
      },
    ]);
  });

  it('maps delivered, available_for_pickup and the failure statuses', async () => {
    handler = () => ({
      status: 200,
      body: tracker({
        status: 'delivered',
        est_delivery_date: null,
        tracking_details: [
          detail('available_for_pickup', '2024-05-01T00:00:00Z', 'At pickup point'),
          detail('return_to_sender', '2024-05-02T00:00:00Z', 'Returning'),
          detail('failure', '2024-05-03T00:00:00Z', 'Damaged'),
          detail('error', '2024-05-04T00:00:00Z', 'Carrier error'),
          detail('cancelled', '2024-05-05T00:00:00Z', 'Cancelled'),
          detail('some_future_status', '2024-05-05T12:00:00Z', 'New'),
          detail('delivered', '2024-05-06T00:00:00Z', 'Delivered'),
        ],
      }),
    });
    const updates = await gateway().track('UPS', '1Z999');
    expect(updates.map((u) => u.status)).toEqual([
      'in_transit',
      'exception',
      'exception',
      'exception',
      'exception',
      'delivered',
    ]);
    expect(updates.at(-1)!.estimated_delivery_date).toBeNull();
  });

  it('reports a tracker-level error status when the tracker has no details', async () => {
    handler = () => ({
      status: 201,
      body: tracker({ status: 'error', tracking_details: [], est_delivery_date: null }),
    });
    expect(await gateway().track('USPS', 'BAD')).toEqual([
      {
        status: 'exception',
        occurred_at: '2024-05-03T08:00:00.000Z',
        description: 'error',
        location: null,
        estimated_delivery_date: null,
      },
    ]);
  });

  it('reads a known tracker with GET /v2/trackers/:id and creates it again after a 404', async () => {
    let gets = 0;
    handler = (req) => {
      if (req.method === 'POST') return { status: 201, body: tracker({ id: `trk_${seen.length}` }) };
      gets++;
      if (gets === 1) return { status: 200, body: tracker({ id: 'trk_1', status: 'delivered' }) };
      return {
        status: 404,
        body: { error: { code: 'NOT_FOUND', message: 'The requested resource could not be found.' } },
      };
    };
    const g = gateway();
    await g.track('UPS', '1Z999');
    await g.track('UPS', '1Z999');
    await g.track('UPS', '1Z999');
    expect(seen.map((s) => `${s.method} ${s.path}`)).toEqual([
      'POST /v2/trackers',
      'GET /v2/trackers/trk_1',
      'GET /v2/trackers/trk_1',
      'POST /v2/trackers',
    ]);
    expect(seen.every((s) => s.authorization === expectedAuth)).toBe(true);
    expect(seen[1]!.body).toBeUndefined();
  });

  it('turns an EasyPost error body into an error naming the HTTP status, code, message and fields', async () => {
    handler = () => ({
      status: 422,
      body: {
        error: {
          code: 'TRACKER.CREATE.ERROR',
          message: 'Invalid tracking code for carrier',
          errors: [
            { field: 'tracking_code', message: 'is not valid', suggestion: null },
            'carrier unsupported',
          ],
        },
      },
    });
    const err = await gateway()
      .track('UPS', 'nope')
      .catch((e) => e);
    expect(err).toBeInstanceOf(CarrierError);
    expect(err).toMatchObject({ status: 422, code: 'TRACKER.CREATE.ERROR' });
    expect(err.message).toContain('HTTP 422');
    expect(err.message).toContain('TRACKER.CREATE.ERROR');
    expect(err.message).toContain('Invalid tracking code for carrier');
    expect(err.message).toContain('tracking_code: is not valid');
    expect(err.message).toContain('carrier unsupported');
    expect(err.message).toContain('POST /trackers');
  });

  it('names the HTTP status of an error whose body is not EasyPost JSON', async () => {
    handler = () => ({ status: 502, body: 'Bad Gateway' });
    await expect(gateway().track('UPS', '1Z999')).rejects.toThrow(/HTTP 502: Bad Gateway/);
  });

  it('fails clearly when the tracker answer has changed shape', async () => {
    const { tracking_details: _, ...withoutDetails } = tracker();
    handler = () => ({ status: 201, body: withoutDetails });
    await expect(gateway().track('UPS', '1Z999')).rejects.toThrow(/unexpected answer.*tracking_details/);
  });

  it('times out when the server never answers', async () => {
    handler = () => 'hang';
    const started = Date.now();
    const err = await gateway(200)
      .track('UPS', '1Z999')
      .catch((e) => e);
    expect(err).toBeInstanceOf(CarrierError);
    expect(err.message).toMatch(/timed out after 200 ms/);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(seen).toHaveLength(1); // the request did reach the server
  });

  it('uses an injected fetch', async () => {
    const fake = vi.fn(async () => new Response(JSON.stringify(tracker()), { status: 201 }));
    const g = easyPostGateway({ apiKey: API_KEY, baseUrl: 'http://carrier.invalid/v2/', fetch: fake });
    expect(await g.track('UPS', '1Z999')).toHaveLength(2);
    expect(fake).toHaveBeenCalledTimes(1);
    expect((fake.mock.calls[0] as unknown[])[0]).toBe('http://carrier.invalid/v2/trackers');
  });
});

describe('easyPostGateway.createReturnLabel', () => {
  const customer: Address = {
    name: 'Dana Buyer',
    line1: '179 N Harbor Dr',
    line2: 'Apt 4',
    city: 'Redondo Beach',
    region: 'CA',
    postal_code: '90277',
    country: 'US',
    phone: '8573875756',
  };
  const warehouse: Address = {
    name: 'Orderly Returns',
    line1: '417 Montgomery Street',
    city: 'San Francisco',
    region: 'CA',
    postal_code: '94104',
    country: 'US',
  };
  const rate = (id: string, carrier: string, service: string, amount: string) => ({
    id,
    object: 'Rate',
    carrier,
    service,
    rate: amount,
    currency: 'USD',
    shipment_id: 'shp_1',
  });

  it('creates a return shipment, buys the cheapest rate (ties by service name) and returns the label', async () => {
    handler = (req) => {
      if (req.path === '/v2/shipments') {
        return {
          status: 201,
          body: {
            id: 'shp_1',
            object: 'Shipment',
            is_return: true,
            rates: [
              rate('rate_prio', 'USPS', 'Priority', '9.10'),
              rate('rate_gnd', 'USPS', 'GroundAdvantage', '7.25'),
              // Same price and carrier as GroundAdvantage, listed after it: the service name decides.
              rate('rate_exp', 'USPS', 'Express', '7.25'),
              rate('rate_bad', 'UPS', 'Broken', ''),
              rate('rate_2day', 'FedEx', '2Day', '12.00'),
            ],
            messages: [],
          },
        };
      }
      return {
        status: 200,
        body: {
          id: 'shp_1',
          object: 'Shipment',
          tracking_code: '1ZRETURN0001',
          postage_label: { object: 'PostageLabel', label_url: 'https://easypost-files.example/label.png' },
          selected_rate: rate('rate_exp', 'USPS', 'Express', '7.25'),
        },
      };
    };

    const label = await gateway().createReturnLabel({
      from: customer,
      to: warehouse,
      weight_oz: 12.3,
      reference: 'RMA-42',
    });

    expect(seen.map((s) => `${s.method} ${s.path}`)).toEqual([
      'POST /v2/shipments',
      'POST /v2/shipments/shp_1/buy',
    ]);
    expect(seen.every((s) => s.authorization === expectedAuth)).toBe(true);
    // EasyPost swaps the addresses of an is_return shipment itself, so the customer goes in to_address.
    expect(seen[0]!.body).toEqual({
      shipment: {
        is_return: true,
        to_address: {
          name: 'Dana Buyer',
          street1: '179 N Harbor Dr',
          street2: 'Apt 4',
          city: 'Redondo Beach',
          state: 'CA',
          zip: '90277',
          country: 'US',
          phone: '8573875756',
        },
        from_address: {
          name: 'Orderly Returns',
          street1: '417 Montgomery Street',
          city: 'San Francisco',
          state: 'CA',
          zip: '94104',
          country: 'US',
        },
        parcel: { weight: 12.3 },
        reference: 'RMA-42',
      },
    });
    expect(seen[1]!.body).toEqual({ rate: { id: 'rate_exp' } });
    expect(label).toEqual({
      carrier: 'USPS',
      service: 'Express',
      tracking_number: '1ZRETURN0001',
      label_url: 'https://easypost-files.example/label.png',
      rate: 7.25,
    });
  });

  it('fails without buying when the shipment has no rates, saying why', async () => {
    handler = () => ({
      status: 201,
      body: {
        id: 'shp_2',
        rates: [],
        messages: [{ carrier: 'USPS', type: 'rate_error', message: 'Unable to retrieve rates' }],
      },
    });
    await expect(
      gateway().createReturnLabel({ from: customer, to: warehouse, weight_oz: 8, reference: 'RMA-43' }),
    ).rejects.toThrow(/shp_2 has no rates.*USPS: Unable to retrieve rates/);
    expect(seen).toHaveLength(1);
  });

  it('names the code of a failed purchase', async () => {
    handler = (req) =>
      req.path.endsWith('/buy')
        ? {
            status: 402,
            body: { error: { code: 'SHIPMENT.POSTAGE.FAILURE', message: 'Insufficient funds', errors: [] } },
          }
        : { status: 201, body: { id: 'shp_3', rates: [rate('rate_a', 'USPS', 'Priority', '9.10')] } };
    const err = await gateway()
      .createReturnLabel({ from: customer, to: warehouse, weight_oz: 8, reference: 'RMA-44' })
      .catch((e) => e);
    expect(err).toMatchObject({ status: 402, code: 'SHIPMENT.POSTAGE.FAILURE' });
    expect(err.message).toMatch(
      /POST \/shipments\/shp_3\/buy failed: HTTP 402 SHIPMENT\.POSTAGE\.FAILURE Insufficient funds/,
    );
  });

  it('refuses a non-positive weight before calling EasyPost', async () => {
    await expect(
      gateway().createReturnLabel({ from: customer, to: warehouse, weight_oz: 0, reference: 'RMA-45' }),
    ).rejects.toThrow(/positive weight_oz/);
    expect(seen).toHaveLength(0);
  });
});

describe('parseEasyPostEvent', () => {
  // Shaped like EasyPost's documented sample webhook.
  const event = {
    id: 'evt_qatAiJDM',
    object: 'Event',
    created_at: '2014-11-19T10:51:54Z',
    updated_at: '2014-11-19T10:51:54Z',
    description: 'tracker.updated',
    mode: 'test',
    previous_attributes: { status: 'unknown' },
    pending_urls: [],
    completed_urls: [],
    result: {
      id: 'trk_Txyy1vaM',
      object: 'Tracker',
      mode: 'test',
      tracking_code: 'EZ4000000004',
      status: 'delivered',
      created_at: '2014-11-18T10:51:54Z',
      updated_at: '2014-11-18T10:51:54Z',
      signed_by: 'John Tester',
      weight: 17.6,
      est_delivery_date: '2014-08-27T00:00:00Z',
      shipment_id: null,
      carrier: 'UPS',
      public_url: 'https://track.easypost.com/djE7',
      tracking_details: [
        detail('pre_transit', '2014-08-21T14:24:00Z', 'BILLING INFORMATION RECEIVED'),
        detail('in_transit', '2014-08-21T14:48:00Z', 'ORIGIN SCAN', {
          city: 'SOUTH SAN FRANCISCO',
          state: 'CA',
          zip: '94080',
          country: 'US',
        }),
        detail('delivered', '2014-08-24T14:33:00Z', 'DELIVERED', {
          city: 'SAN FRANCISCO',
          state: 'CA',
          country: 'US',
        }),
      ],
    },
  };

  it('gives the tracking number, carrier and mapped updates of a tracker.updated event', () => {
    const parsed = parseEasyPostEvent(event);
    expect(parsed).toEqual({
      tracking_number: 'EZ4000000004',
      carrier: 'UPS',
      updates: [
        {
          status: 'in_transit',
          occurred_at: '2014-08-21T14:48:00.000Z',
          description: 'ORIGIN SCAN',
          location: 'SOUTH SAN FRANCISCO, CA 94080, US',
          estimated_delivery_date: null,
        },
        {
          status: 'delivered',
          occurred_at: '2014-08-24T14:33:00.000Z',
          description: 'DELIVERED',
          location: 'SAN FRANCISCO, CA, US',
          estimated_delivery_date: '2014-08-27',
        },
      ],
    });
    // The raw request text parses the same.
    expect(parseEasyPostEvent(JSON.stringify(event))).toEqual(parsed);
  });

  it('answers null for junk and for events that are not about trackers', () => {
    const { tracking_code: _, ...resultWithoutCode } = event.result;
    for (const junk of [
      null,
      undefined,
      42,
      'not json',
      [],
      {},
      { description: 'tracker.updated' },
      { ...event, description: 'batch.updated' },
      { ...event, result: resultWithoutCode },
      { ...event, result: { ...event.result, tracking_details: 'none' } },
    ]) {
      expect(parseEasyPostEvent(junk)).toBeNull();
    }
  });
});

describe('offlineGateway and gatewayFromEnv', () => {
  const addr: Address = { country: 'US', postal_code: '94104' };

  it('is deterministic, derives the tracking number from the reference, and uses no network', async () => {
    const fetchSpy = vi.spyOn(globalThis, 'fetch');
    const g = offlineGateway();
    const a1 = await g.createReturnLabel({ from: addr, to: addr, weight_oz: 10, reference: 'RMA-1' });
    const a2 = await offlineGateway().createReturnLabel({
      from: addr,
      to: addr,
      weight_oz: 99,
      reference: 'RMA-1',
    });
    const b = await g.createReturnLabel({ from: addr, to: addr, weight_oz: 10, reference: 'RMA-2' });
    expect(a1).toEqual(a2);
    expect(a1.tracking_number).toMatch(/^ORD[0-9A-F]{12}$/);
    expect(b.tracking_number).not.toBe(a1.tracking_number);
    expect(a1).toMatchObject({ carrier: 'offline', label_url: null, rate: null });
    expect(await g.track('UPS', a1.tracking_number)).toEqual([]);
    expect(g.name).toBe('offline');
    expect(fetchSpy).not.toHaveBeenCalled();
  });

  it('chooses EasyPost only when EASYPOST_API_KEY is set, honouring EASYPOST_BASE_URL', async () => {
    expect(gatewayFromEnv({}).name).toBe('offline');
    expect(gatewayFromEnv({ EASYPOST_API_KEY: '  ' }).name).toBe('offline');
    const g = gatewayFromEnv({ EASYPOST_API_KEY: API_KEY, EASYPOST_BASE_URL: baseUrl });
    expect(g.name).toBe('easypost');
    handler = () => ({ status: 201, body: tracker() });
    await g.track('UPS', '1Z999');
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ path: '/v2/trackers', authorization: expectedAuth });
  });
});
