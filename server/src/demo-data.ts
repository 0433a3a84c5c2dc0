import type { z } from '@hono/zod-openapi';
import type { CreateBundleSchema, CreateProductSchema } from './modules/catalog/schema.ts';
import type {
  CreateCarrierSchema,
  CreateCarrierServiceSchema,
  CreateLocationSchema,
} from './modules/network/schema.ts';

/**
 * The demo tenant's network, catalog and opening stock: "Demo Outfitters" sells apparel and home
 * goods from three warehouses, a store and a drop-ship supplier. Every number here is made up but
 * plausible; later issues (sourcing, orders) route demo orders through it. Inputs are the modules'
 * create requests before parsing, so their schemas apply the defaults.
 */

const WEEKDAYS_AT = (time: string, days = ['mon', 'tue', 'wed', 'thu', 'fri']) =>
  Object.fromEntries(days.map((d) => [d, time]));

export const DEMO_LOCATIONS = {
  edison: {
    name: 'Edison DC',
    type: 'warehouse',
    address: {
      line1: '100 Demo Dock Road',
      city: 'Edison',
      region: 'NJ',
      postal_code: '08817',
      country: 'US',
    },
    cutoffs: WEEKDAYS_AT('15:00'),
    daily_order_capacity: 1200,
    // Warehouses work through the state holidays most offices take off.
    holiday_calendar: {
      country: 'US',
      region: 'NJ',
      ignore_holidays: ["Lincoln's Birthday", 'Columbus Day', 'Election Day', 'Veterans Day'],
    },
    fulfillment_cost: { per_order: 3.25, per_unit: 0.45, currency: 'USD' },
    picking_method: 'wave',
    external_ref: 'DEMO-WMS-EDI',
  },
  dallas: {
    name: 'Dallas DC',
    type: 'warehouse',
    address: {
      line1: '2200 Freight Lane',
      city: 'Dallas',
      region: 'TX',
      postal_code: '75261',
      country: 'US',
    },
    cutoffs: WEEKDAYS_AT('16:00'),
    daily_order_capacity: 900,
    holiday_calendar: {
      country: 'US',
      region: 'TX',
      ignore_holidays: ['Columbus Day', 'Veterans Day', 'Day after Thanksgiving'],
    },
    fulfillment_cost: { per_order: 2.95, per_unit: 0.4, currency: 'USD' },
    picking_method: 'batch',
    external_ref: 'DEMO-WMS-DAL',
  },
  reno: {
    name: 'Reno DC',
    type: 'warehouse',
    address: {
      line1: '55 Sierra Dock Road',
      city: 'Reno',
      region: 'NV',
      postal_code: '89502',
      country: 'US',
    },
    cutoffs: WEEKDAYS_AT('14:00'),
    daily_order_capacity: 600,
    holiday_calendar: {
      country: 'US',
      region: 'NV',
      ignore_holidays: ['Nevada Day', 'Veterans Day', 'Family Day'],
    },
    fulfillment_cost: { per_order: 3.1, per_unit: 0.5, currency: 'USD' },
    picking_method: 'batch',
    external_ref: 'DEMO-WMS-RNO',
  },
  chicago: {
    name: 'Chicago Loop Store',
    type: 'store',
    address: { line1: '12 Demo Plaza', city: 'Chicago', region: 'IL', postal_code: '60601', country: 'US' },
    // Staff pack web orders between customers: a few a day, Saturdays too, at a higher cost.
    cutoffs: WEEKDAYS_AT('16:00', ['mon', 'tue', 'wed', 'thu', 'fri', 'sat']),
    daily_order_capacity: 40,
    fulfillment_cost: { per_order: 5.5, per_unit: 0.75, currency: 'USD' },
  },
  timberline: {
    name: 'Timberline Cookware (drop-ship)',
    type: 'dropship_supplier',
    address: {
      line1: '8 Foundry Street',
      city: 'Hickory',
      region: 'NC',
      postal_code: '28601',
      country: 'US',
    },
    cutoffs: WEEKDAYS_AT('12:00'),
    processing_days: 2,
    daily_order_capacity: 150,
    // The supplier's handling fee per unit; the merchant does not pick or pack.
    fulfillment_cost: { per_order: 0, per_unit: 6, currency: 'USD' },
    accepts_returns: false,
  },
} satisfies Record<string, z.input<typeof CreateLocationSchema>>;

export type DemoLocationKey = keyof typeof DEMO_LOCATIONS;

// ── the carrier ──────────────────────────────────────────────────────────────────────────────

const ZONES = ['1', '2', '3', '4', '5', '6', '7', '8'] as const;
const byZone = (f: (zone: number) => number) =>
  Object.fromEntries(ZONES.map((z) => [z, Math.round(f(Number(z)) * 100) / 100])) as Record<
    (typeof ZONES)[number],
    number
  >;
/** Brackets as [max_weight_lb, zone 1 rate, added per zone beyond 1]. */
const rateTable = (brackets: [number, number, number][]) =>
  brackets.map(([max_weight_lb, zone1, perZone]) => ({
    max_weight_lb,
    rates_by_zone: byZone((z) => zone1 + perZone * (z - 1)),
  }));

export const DEMO_CARRIER = { name: 'Parcelway (demo carrier)', code: 'parcelway' } satisfies z.input<
  typeof CreateCarrierSchema
>;

export const DEMO_CARRIER_SERVICES = [
  {
    name: 'Parcelway Ground',
    code: 'GND',
    service_level: 'ground',
    transit_days_by_zone: byZone((z) => [1, 1, 2, 3, 3, 4, 4, 5][z - 1]!),
    rate_table: rateTable([
      [1, 8.95, 0.55],
      [3, 10.4, 0.8],
      [5, 11.85, 1.1],
      [10, 14.6, 1.65],
      [20, 19.9, 2.6],
      [50, 34.5, 4.9],
      [70, 46, 6.75],
    ]),
  },
  {
    name: 'Parcelway 2-Day',
    code: '2DA',
    service_level: 'two_day',
    transit_days_by_zone: byZone(() => 2),
    rate_table: rateTable([
      [1, 19.8, 2.1],
      [3, 23.5, 2.9],
      [5, 27.4, 3.6],
      [10, 36.9, 5.1],
      [20, 55, 7.8],
      [50, 98, 14.5],
      [70, 129, 19.5],
    ]),
  },
  {
    name: 'Parcelway Overnight',
    code: 'NDA',
    service_level: 'overnight',
    transit_days_by_zone: byZone(() => 1),
    delivery_weekdays: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat'],
    rate_table: rateTable([
      [1, 31.5, 4.2],
      [3, 38, 5.4],
      [5, 45.2, 6.6],
      [10, 61.8, 9.2],
      [20, 92, 13.9],
      [50, 165, 25],
      [70, 215, 33],
    ]),
  },
] satisfies z.input<typeof CreateCarrierServiceSchema>[];

// ── the catalog ──────────────────────────────────────────────────────────────────────────────

const dims = (length_in: number, width_in: number, height_in: number) => ({ length_in, width_in, height_in });

export const DEMO_PRODUCTS = [
  ...(['BLK-M', 'BLK-L', 'WHT-M'] as const).map((v) => ({
    sku: `TEE-ORG-${v}`,
    name: `Organic Cotton Tee, ${v.startsWith('BLK') ? 'Black' : 'White'} ${v.slice(-1)}`,
    weight_lb: 0.4,
    dimensions: dims(10, 8, 1),
    unit_cost: 6.4,
    price: 24,
    tags: ['apparel', 'tees'],
  })),
  ...(['M', 'L'] as const).map((size) => ({
    sku: `HOODIE-FLC-NVY-${size}`,
    name: `Fleece Hoodie, Navy ${size}`,
    weight_lb: 1.3,
    dimensions: dims(14, 12, 3),
    unit_cost: 17.5,
    price: 58,
    tags: ['apparel', 'outerwear'],
  })),
  {
    sku: 'SOCKS-MERINO-3PK',
    name: 'Merino Hiking Socks, 3-pack',
    weight_lb: 0.35,
    dimensions: dims(8, 5, 2),
    unit_cost: 9.8,
    price: 28,
    tags: ['apparel', 'accessories'],
    low_stock_threshold: 20,
  },
  {
    sku: 'CAP-CANVAS-OLV',
    name: 'Canvas Field Cap, Olive',
    weight_lb: 0.3,
    dimensions: dims(11, 8, 5),
    unit_cost: 5.2,
    price: 22,
    tags: ['apparel', 'accessories'],
  },
  {
    sku: 'SCARF-ALPACA-GRY',
    name: 'Alpaca Scarf, Grey (clearance)',
    weight_lb: 0.5,
    dimensions: dims(10, 8, 2),
    unit_cost: 14,
    price: 39,
    tags: ['apparel', 'accessories', 'clearance'],
    final_sale: true,
  },
  {
    sku: 'MUG-ENAMEL-WHT',
    name: 'Enamel Camp Mug, White',
    weight_lb: 0.6,
    dimensions: dims(5, 5, 4),
    unit_cost: 3.1,
    price: 16,
    tags: ['home', 'kitchen'],
  },
  {
    sku: 'CANDLE-CEDAR',
    name: 'Cedar & Sage Candle',
    weight_lb: 1.1,
    dimensions: dims(4, 4, 5),
    unit_cost: 4.75,
    price: 26,
    tags: ['home'],
    low_stock_threshold: 10,
  },
  {
    sku: 'BLANKET-WOOL-PLD',
    name: 'Wool Throw Blanket, Plaid',
    weight_lb: 3.2,
    dimensions: dims(16, 12, 6),
    unit_cost: 38,
    price: 119,
    tags: ['home'],
  },
  {
    sku: 'DUTCH-OVEN-6QT',
    name: 'Cast Iron Dutch Oven, 6 qt',
    description: 'Shipped directly by Timberline Cookware.',
    weight_lb: 15.5,
    dimensions: dims(14, 12, 8),
    unit_cost: 42,
    price: 129,
    tags: ['home', 'kitchen', 'dropship'],
  },
] satisfies z.input<typeof CreateProductSchema>[];

export const DEMO_BUNDLE = {
  sku: 'CABIN-GIFT-SET',
  name: 'Cabin Gift Set: blanket, candle and two mugs',
  price: 169,
  components: [
    { sku: 'BLANKET-WOOL-PLD', quantity: 1 },
    { sku: 'CANDLE-CEDAR', quantity: 1 },
    { sku: 'MUG-ENAMEL-WHT', quantity: 2 },
  ],
} satisfies z.input<typeof CreateBundleSchema>;

// ── opening stock ────────────────────────────────────────────────────────────────────────────

/**
 * Units on hand per SKU and location, imported as one count. A 0 is a location that carries the
 * SKU but has sold out; a missing location never carried it.
 */
export const DEMO_STOCK: Record<string, Partial<Record<DemoLocationKey, number>>> = {
  'TEE-ORG-BLK-M': { edison: 120, dallas: 80, reno: 45, chicago: 12 },
  'TEE-ORG-BLK-L': { edison: 90, dallas: 0, reno: 35, chicago: 6 },
  'TEE-ORG-WHT-M': { edison: 60, dallas: 48, reno: 0 },
  'HOODIE-FLC-NVY-M': { edison: 30, dallas: 22, reno: 18, chicago: 4 },
  'HOODIE-FLC-NVY-L': { edison: 25, reno: 9 },
  'SOCKS-MERINO-3PK': { edison: 40, dallas: 15, reno: 8 },
  'CAP-CANVAS-OLV': { dallas: 70, reno: 25, chicago: 10 },
  'SCARF-ALPACA-GRY': { edison: 14, chicago: 3 },
  'MUG-ENAMEL-WHT': { edison: 200, dallas: 150, reno: 90, chicago: 24 },
  'CANDLE-CEDAR': { edison: 35, dallas: 12, chicago: 8 },
  'BLANKET-WOOL-PLD': { edison: 18, dallas: 6, reno: 0 },
  'DUTCH-OVEN-6QT': { timberline: 40 },
};

/** Set before the import, so the count fills the safety bucket first. */
export const DEMO_SAFETY_STOCK = [{ sku: 'TEE-ORG-BLK-M', at: 'edison', quantity: 10 }] satisfies {
  sku: string;
  at: DemoLocationKey;
  quantity: number;
}[];

/** The marketplace may hold at most 30% of the navy hoodie in M, so the web store keeps the rest. */
export const DEMO_CHANNEL_POOLS = [{ channel: 'marketplace', sku: 'HOODIE-FLC-NVY-M', limit_percent: 30 }];

// ── orders ───────────────────────────────────────────────────────────────────────────────────

type DemoOrder = {
  channel: string;
  channel_order_id: string;
  hours_ago: number;
  customer: { name: string; email: string };
  ship_to: { line1: string; city: string; region: string; postal_code: string };
  lines: { sku: string; quantity: number; unit_price: number; discount?: number; tax?: number }[];
  shipping: number;
  service_level?: 'ground' | 'two_day' | 'overnight';
  tags?: string[];
  /** What happened to it after capture, so the dashboard shows the everyday cases. */
  afterwards?: {
    hold?: string;
    cancel_line?: { line_no: number; quantity: number; reason: string };
    release?: true;
  };
};

/** A few days of orders from three channels, captured (routed and reserved) like any other. */
export const DEMO_ORDERS: DemoOrder[] = [
  {
    channel: 'web',
    channel_order_id: 'W-10231',
    hours_ago: 70,
    customer: { name: 'Maya Chen', email: 'maya.chen@example.com' },
    ship_to: { line1: '350 5th Ave', city: 'New York', region: 'NY', postal_code: '10118' },
    lines: [
      { sku: 'TEE-ORG-BLK-M', quantity: 2, unit_price: 24, tax: 4.26 },
      { sku: 'CAP-CANVAS-OLV', quantity: 1, unit_price: 22, tax: 1.95 },
    ],
    shipping: 6.5,
    afterwards: { release: true },
  },
  {
    channel: 'web',
    channel_order_id: 'W-10232',
    hours_ago: 52,
    customer: { name: 'Luis Ortega', email: 'luis.ortega@example.com' },
    ship_to: { line1: '1500 Marilla St', city: 'Dallas', region: 'TX', postal_code: '75201' },
    lines: [{ sku: 'CABIN-GIFT-SET', quantity: 1, unit_price: 135, discount: 10, tax: 10.31 }],
    shipping: 0,
    service_level: 'two_day',
    tags: ['gift'],
  },
  {
    channel: 'marketplace',
    channel_order_id: 'MKT-88120',
    hours_ago: 40,
    customer: { name: 'Priya Natarajan', email: 'priya.n@example.com' },
    ship_to: { line1: '400 Pine St', city: 'Seattle', region: 'WA', postal_code: '98101' },
    lines: [{ sku: 'HOODIE-FLC-NVY-M', quantity: 1, unit_price: 58, tax: 5.91 }],
    shipping: 7.95,
  },
  {
    channel: 'web',
    channel_order_id: 'W-10233',
    hours_ago: 30,
    customer: { name: 'Sam Okafor', email: 'sam.okafor@example.com' },
    ship_to: { line1: '233 S Wacker Dr', city: 'Chicago', region: 'IL', postal_code: '60606' },
    lines: [
      { sku: 'SCARF-ALPACA-GRY', quantity: 4, unit_price: 39, discount: 15.6 },
      { sku: 'MUG-ENAMEL-WHT', quantity: 2, unit_price: 16 },
    ],
    shipping: 6.5,
    tags: ['clearance'],
    afterwards: { hold: 'Address could not be verified; waiting for the customer to confirm' },
  },
  {
    channel: 'phone',
    channel_order_id: 'PH-5521',
    hours_ago: 22,
    customer: { name: 'Eleanor Brooks', email: 'e.brooks@example.com' },
    ship_to: { line1: '1 Ferry Building', city: 'San Francisco', region: 'CA', postal_code: '94111' },
    lines: [
      { sku: 'DUTCH-OVEN-6QT', quantity: 1, unit_price: 89, tax: 7.74 },
      { sku: 'CANDLE-CEDAR', quantity: 2, unit_price: 24, tax: 4.17 },
    ],
    shipping: 12,
    service_level: 'two_day',
  },
  {
    channel: 'web',
    channel_order_id: 'W-10234',
    hours_ago: 12,
    customer: { name: 'Jonas Weber', email: 'jonas.weber@example.com' },
    ship_to: { line1: '100 Congress Ave', city: 'Austin', region: 'TX', postal_code: '78701' },
    lines: [
      { sku: 'BLANKET-WOOL-PLD', quantity: 30, unit_price: 79, tax: 195.53 },
      { sku: 'SOCKS-MERINO-3PK', quantity: 2, unit_price: 28, tax: 4.62 },
    ],
    shipping: 0,
    tags: ['wholesale'],
  },
  {
    channel: 'marketplace',
    channel_order_id: 'MKT-88131',
    hours_ago: 6,
    customer: { name: 'Grace Kim', email: 'grace.kim@example.com' },
    ship_to: { line1: '1 Lake Shore Dr', city: 'Boston', region: 'MA', postal_code: '02108' },
    lines: [
      { sku: 'TEE-ORG-WHT-M', quantity: 3, unit_price: 24, tax: 4.5 },
      { sku: 'TEE-ORG-BLK-L', quantity: 1, unit_price: 24, tax: 1.5 },
    ],
    shipping: 5.95,
    afterwards: { cancel_line: { line_no: 1, quantity: 1, reason: 'Customer asked for two, not three' } },
  },
  {
    channel: 'web',
    channel_order_id: 'W-10235',
    hours_ago: 1,
    customer: { name: 'Ada Lovelace', email: 'ada@example.com' },
    ship_to: { line1: '1 Main St', city: 'Denver', region: 'CO', postal_code: '80202' },
    lines: [{ sku: 'HOODIE-FLC-NVY-L', quantity: 1, unit_price: 58, tax: 4.99 }],
    shipping: 0,
    service_level: 'overnight',
  },
];
