import type { Me, OrderEvent } from './api.ts';
import { formatDate, formatDay, formatMoney, formatNumber } from './format.ts';
import { actorName, statusLabel } from './orders.ts';
import { sectionHref } from './sections.ts';

type Props = { events: OrderEvent[]; me: Me; currency: string; nameOf: (locationId: string) => string };

/** Entries whose note is already their description. */
const SPOKEN = new Set(['shipped', 'shipment_updated', 'delivered']);
const num = (v: unknown) => (typeof v === 'number' ? v : 0);
const str = (v: unknown) => (typeof v === 'string' ? v : '');
const plural = (n: number, one: string) => `${formatNumber(n)} ${one}${n === 1 ? '' : 's'}`;

/** One audit entry in words: "Routed (capture): 2 units allocated at Edison DC, promised Tue, Jan 6". */
export function describeEvent(e: OrderEvent, currency: string, nameOf: (id: string) => string) {
  const d = e.data ?? {};
  switch (e.type) {
    case 'created':
      return `Received from ${str(d.channel) || 'a channel'}${d.channel_order_id ? ` as ${str(d.channel_order_id)}` : ''}`;
    case 'routed': {
      if (d.routing_no === undefined) return 'Waiting to be routed';
      const at = Array.isArray(d.locations) ? d.locations.map((l) => nameOf(str(l))) : [];
      const parts = [
        num(d.units_allocated) > 0
          ? `${plural(num(d.units_allocated), 'unit')} allocated at ${at.join(' and ')}`
          : 'nothing allocated',
      ];
      if (num(d.units_waiting) > 0) parts.push(`${plural(num(d.units_waiting), 'unit')} waiting for stock`);
      if (d.promised_delivery_date) parts.push(`promised ${formatDay(str(d.promised_delivery_date))}`);
      return `Routed (${str(d.trigger).replaceAll('_', ' ')}): ${parts.join(', ')}`;
    }
    case 'status_changed':
      return `Status ${statusLabel(e.from_status ?? '')} → ${statusLabel(e.to_status ?? '')}`;
    case 'held':
      return 'Put on hold';
    case 'hold_released':
      return 'Hold released';
    case 'note':
      return 'Note';
    case 'cancelled': {
      const lines = Array.isArray(d.lines) ? (d.lines as { line_no: number; quantity: number }[]) : [];
      const what = lines.map((l) => `${plural(l.quantity, 'unit')} of line ${l.line_no}`).join(', ');
      const refund = num(d.refund) > 0 ? `; refund due ${formatMoney(num(d.refund), currency)}` : '';
      return `Cancelled ${what || 'units'}${refund}`;
    }
    case 'edited':
      return `Edited ${Array.isArray(d.fields) ? d.fields.join(', ').replaceAll('_', ' ') : ''}`.trim();
    case 'released_to_fulfillment':
      return 'Released to fulfillment';
    case 'replacement_created':
      return 'Replacement order created';
    case 'fulfillment_created':
      return `Fulfillment order at ${nameOf(str(d.location_id))}: ${plural(num(d.units), 'unit')}, ${str(d.picking_method)} pick${d.priority === 'urgent' ? ', urgent' : ''}`;
    case 'fulfillment_assigned':
    case 'fulfillment_picking':
    case 'fulfillment_packed':
    case 'fulfillment_cancelled':
    case 'fulfillment_shipped':
      return `${statusLabel(e.type.slice('fulfillment_'.length))} at ${nameOf(str(d.location_id))}`;
    case 'fulfillment_failed':
      return `Fulfillment failed at ${nameOf(str(d.location_id))}`;
    // Shipments speak for themselves: "Shipment 1 of 2 delivered".
    case 'shipped':
    case 'shipment_updated':
    case 'delivered':
      return e.note ?? statusLabel(e.type);
    case 'late':
      return 'Late';
    case 'at_risk':
      return 'At risk of missing the promised date';
    default:
      return statusLabel(e.type);
  }
}

/** The audit trail, oldest first so it reads as the order's story; the newest entry is at the end. */
export function OrderTimeline({ events, me, currency, nameOf }: Props) {
  return (
    <section className="card" aria-labelledby="timeline-title">
      <h2 id="timeline-title">Timeline</h2>
      {events.length === 0 ? (
        <p className="muted">Nothing has happened to this order yet.</p>
      ) : (
        <ol className="timeline">
          {events.map((e) => {
            const replacement = e.type === 'replacement_created' ? str(e.data?.replacement_order_id) : '';
            return (
              <li key={e.id} className={`event-${e.type}`}>
                <time dateTime={e.created_at}>{formatDate(e.created_at)}</time>
                <div>
                  <span className="what">{describeEvent(e, currency, nameOf)}</span>
                  {replacement && (
                    <>
                      {' '}
                      <a href={sectionHref('orders', replacement)}>open it</a>
                    </>
                  )}
                  <span className="muted" title={`${e.actor.type} ${e.actor.id}`}>
                    {' '}
                    by {actorName(e.actor, me)}
                  </span>
                  {e.note && !SPOKEN.has(e.type) && <div className="note">“{e.note}”</div>}
                </div>
              </li>
            );
          })}
        </ol>
      )}
    </section>
  );
}
