/**
 * The packing slip that travels in the box: who sent it, where it goes, and what should be inside.
 * Rendered with PDFKit's built-in Helvetica, so no font files are read and nothing is fetched; that
 * font covers Latin text only, so names in other scripts would need an embedded font.
 */
import PDFDocument from 'pdfkit';

export type PackingSlip = {
  branding: { name: string; logo_url: string | null; message: string | null };
  fulfillment_order_id: string;
  /** One or more orders: consolidated shipments carry several. */
  order_numbers: number[];
  location: {
    name: string;
    address: { line1?: string; city?: string; region?: string; postal_code?: string; country: string };
  };
  ship_to: {
    name?: string;
    line1?: string;
    line2?: string;
    city?: string;
    region?: string;
    postal_code?: string;
    country: string;
  };
  service_level: string;
  /** ISO date. */
  ship_by: string | null;
  gift_message: string | null;
  items: { sku: string; name: string; quantity: number; order_number: number; bundle_sku?: string | null }[];
  /** ISO timestamp. */
  created_at: string;
};

type Address = PackingSlip['ship_to'];

function addressLines(address: Address): string[] {
  const locality = [[address.city, address.region].filter(Boolean).join(', '), address.postal_code]
    .filter(Boolean)
    .join(' ');
  return [address.name, address.line1, address.line2, locality, address.country].filter(
    (line): line is string => Boolean(line),
  );
}

export async function renderPackingSlip(slip: PackingSlip): Promise<Buffer> {
  const doc = new PDFDocument({
    size: 'LETTER',
    margin: 50,
    // PDFKit derives the file ID from the info dictionary, so a fixed date makes equal slips equal bytes.
    info: { Title: `Packing slip ${slip.fulfillment_order_id}`, CreationDate: new Date(slip.created_at) },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const finished = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  doc.font('Helvetica-Bold').fontSize(20).text(slip.branding.name);
  // The logo is shown as its URL only: rendering it would mean fetching it, and rendering stays offline.
  if (slip.branding.logo_url) doc.font('Helvetica').fontSize(8).text(`Logo: ${slip.branding.logo_url}`);
  if (slip.branding.message) doc.font('Helvetica').fontSize(11).text(slip.branding.message);
  doc.moveDown();

  const orderLabel = slip.order_numbers.length > 1 ? 'Orders' : 'Order';
  doc.font('Helvetica').fontSize(10);
  doc.text(`Fulfillment order: ${slip.fulfillment_order_id}`);
  doc.text(`${orderLabel}: ${slip.order_numbers.join(', ')}`);
  doc.text(`Service level: ${slip.service_level}`);
  if (slip.ship_by) doc.text(`Ship by: ${slip.ship_by}`);
  doc.moveDown();

  const shipFrom = [slip.location.name, ...addressLines(slip.location.address)];
  doc.table({
    columnStyles: ['*', '*'],
    defaultStyle: { border: 0, padding: [2, 0] },
    data: [
      [
        { text: 'Ship from', font: { src: 'Helvetica-Bold' } },
        { text: 'Ship to', font: { src: 'Helvetica-Bold' } },
      ],
      [shipFrom.join('\n'), addressLines(slip.ship_to).join('\n')],
    ],
  });
  doc.moveDown();

  // Rows that do not fit continue on a new page, so any number of items can be listed.
  const header = ['SKU', 'Item', 'Qty', 'Order'].map((text) => ({ text, type: 'TH' as const }));
  doc.table({
    columnStyles: [110, '*', 40, 70],
    rowStyles: (row) => (row === 0 ? { backgroundColor: '#eeeeee' } : undefined),
    data: [
      header,
      ...slip.items.map((item) => [
        item.sku,
        item.bundle_sku ? `${item.name} (part of ${item.bundle_sku})` : item.name,
        { text: String(item.quantity), align: { x: 'right' as const } },
        String(item.order_number),
      ]),
    ],
  });
  doc.moveDown();

  const totalUnits = slip.items.reduce((sum, item) => sum + item.quantity, 0);
  doc.font('Helvetica-Bold').text(`Total units: ${totalUnits}`);

  if (slip.gift_message) {
    doc.moveDown();
    doc.font('Helvetica-Bold').text('Gift message');
    doc.font('Helvetica-Oblique').text(slip.gift_message);
  }

  doc.end();
  return finished;
}
