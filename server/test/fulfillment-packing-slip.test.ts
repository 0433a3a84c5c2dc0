import { extractText, getDocumentProxy } from 'unpdf';
import { describe, expect, it } from 'vitest';
import { type PackingSlip, renderPackingSlip } from '../src/modules/fulfillment/packing-slip.ts';

const slip = (overrides: Partial<PackingSlip> = {}): PackingSlip => ({
  branding: {
    name: 'Acme Outfitters',
    logo_url: 'https://cdn.acme.test/logo.png',
    message: 'Thanks for gearing up!',
  },
  fulfillment_order_id: 'fo_01J9ZK3QX7',
  order_numbers: [1042, 1057],
  location: {
    name: 'Reno DC',
    address: { line1: '1 Warehouse Way', city: 'Reno', region: 'NV', postal_code: '89501', country: 'US' },
  },
  ship_to: {
    name: 'Jane Doe',
    line1: '5 Main St',
    line2: 'Apt 2',
    city: 'Austin',
    region: 'TX',
    postal_code: '78701',
    country: 'US',
  },
  service_level: 'two_day',
  ship_by: '2026-09-03',
  gift_message: 'Happy birthday, Sam!',
  items: [
    { sku: 'TENT-2P', name: 'Two-person tent', quantity: 1, order_number: 1042 },
    { sku: 'STAKE-AL', name: 'Aluminium stakes', quantity: 8, order_number: 1042, bundle_sku: 'CAMP-KIT' },
    { sku: 'MUG-TI', name: 'Titanium mug', quantity: 3, order_number: 1057, bundle_sku: null },
  ],
  created_at: '2026-09-01T12:00:00.000Z',
  ...overrides,
});

const read = async (pdf: Buffer) => {
  const { totalPages, text } = await extractText(await getDocumentProxy(new Uint8Array(pdf)), {
    mergePages: true,
  });
  return { pages: totalPages, text };
};

describe('packing slip PDF', () => {
  it('is a PDF whose text carries the slip', async () => {
    const pdf = await renderPackingSlip(slip());
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');

    const { pages, text } = await read(pdf);
    expect(pages).toBe(1);
    for (const expected of [
      'Acme Outfitters',
      'Logo: https://cdn.acme.test/logo.png',
      'Thanks for gearing up!',
      'Fulfillment order: fo_01J9ZK3QX7',
      'Orders: 1042, 1057',
      'Reno DC',
      'Reno, NV 89501',
      'Jane Doe',
      'Austin, TX 78701',
      'Service level: two_day',
      'Ship by: 2026-09-03',
      'Happy birthday, Sam!',
      'Total units: 12',
    ])
      expect(text).toContain(expected);
    // One row per item: SKU, name, quantity, order number.
    expect(text).toContain('TENT-2P Two-person tent 1 1042');
    expect(text).toContain('STAKE-AL Aluminium stakes (part of CAMP-KIT) 8 1042');
    expect(text).toContain('MUG-TI Titanium mug 3 1057');
  });

  it('leaves out what the slip does not have', async () => {
    const { text } = await read(
      await renderPackingSlip(
        slip({
          branding: { name: 'Acme Outfitters', logo_url: null, message: null },
          order_numbers: [1042],
          ship_by: null,
          gift_message: null,
        }),
      ),
    );
    expect(text).toContain('Order: 1042');
    expect(text).not.toContain('Logo:');
    expect(text).not.toContain('Ship by');
    expect(text).not.toContain('Gift message');
  });

  it('flows 120 items onto further pages without losing any', async () => {
    const items = Array.from({ length: 120 }, (_, i) => ({
      sku: `SKU-${String(i).padStart(3, '0')}`,
      name: `Item ${i}`,
      quantity: (i % 4) + 1,
      order_number: 1042,
    }));
    const { pages, text } = await read(await renderPackingSlip(slip({ items })));
    expect(pages).toBeGreaterThan(1);
    for (const item of items) expect(text).toContain(`${item.sku} ${item.name} ${item.quantity} 1042`);
    expect(text).toContain('Total units: 300');
  });

  it('renders equal slips to equal bytes', async () => {
    const [first, second] = await Promise.all([renderPackingSlip(slip()), renderPackingSlip(slip())]);
    expect(first.equals(second)).toBe(true);
    const later = await renderPackingSlip(slip({ created_at: '2026-09-02T12:00:00.000Z' }));
    expect(later.equals(first)).toBe(false);
  });
});
