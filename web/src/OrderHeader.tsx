import type { Address, Order } from './api.ts';
import { formatDate, formatDay, formatMoney } from './format.ts';
import { customerName, isLate, statusLabel } from './orders.ts';
import { StatusBadge } from './StatusBadge.tsx';

type Props = { order: Order; nameOf: (locationId: string) => string };

const addressLines = (a: Address) =>
  [
    a.name,
    a.company,
    a.line1,
    a.line2,
    [a.city, [a.region, a.postal_code].filter(Boolean).join(' ')].join(', '),
    a.country,
  ].filter(Boolean) as string[];

/** Who ordered, where it goes, what was promised: what a person asks about an order first. */
export function OrderHeader({ order: o, nameOf }: Props) {
  const late = isLate(o);
  const from = o.location_ids.map(nameOf);
  return (
    <section className="card" aria-labelledby="order-title">
      <div className="card-head order-title">
        <h2 id="order-title">Order #{o.order_number}</h2>
        <StatusBadge status={o.status} />
      </div>
      {o.hold_reason && (
        <p className="notice hold">
          <strong>On hold:</strong> {o.hold_reason}. It will not be released to fulfillment until the hold is
          released.
        </p>
      )}
      {o.failure_reason && <p className="alert">{o.failure_reason}</p>}
      {from.length > 1 && (
        <p className="notice">
          Ships from {from.length} locations ({from.join(' and ')}): the customer gets separate packages.
        </p>
      )}
      <dl className="facts">
        <div>
          <dt>Customer</dt>
          <dd>
            {customerName(o)}
            {o.customer.email && <div className="muted">{o.customer.email}</div>}
            {o.customer.phone && <div className="muted">{o.customer.phone}</div>}
          </dd>
        </div>
        <div>
          <dt>Ship to</dt>
          <dd>
            {addressLines(o.shipping_address).map((line) => (
              <div key={line}>{line}</div>
            ))}
          </dd>
        </div>
        <div>
          <dt>Promised delivery</dt>
          <dd className={late ? 'late' : undefined}>
            {o.promised_delivery_date ? formatDay(o.promised_delivery_date) : 'Not promised yet'}
            {late && <span className="badge late-badge">Late</span>}
            <div className="muted">
              {statusLabel(o.service_level)}
              {o.shipping_method && ` · ${o.shipping_method}`}
            </div>
          </dd>
        </div>
        <div>
          <dt>Channel</dt>
          <dd>
            {o.channel}
            <div className="muted">
              <code>{o.channel_order_id}</code>
            </div>
          </dd>
        </div>
        <div>
          <dt>Placed</dt>
          <dd>{formatDate(o.placed_at)}</dd>
        </div>
        <div>
          <dt>Total</dt>
          <dd>
            {formatMoney(o.totals.total, o.currency)}
            {o.refund_due > 0 && (
              <div className="muted">Refund due {formatMoney(o.refund_due, o.currency)}</div>
            )}
          </dd>
        </div>
        {from.length > 0 && (
          <div>
            <dt>Ships from</dt>
            <dd>{from.join(', ')}</dd>
          </div>
        )}
        {o.tags.length > 0 && (
          <div>
            <dt>Tags</dt>
            <dd>{o.tags.join(', ')}</dd>
          </div>
        )}
        {o.notes && (
          <div className="wide">
            <dt>Notes</dt>
            <dd>{o.notes}</dd>
          </div>
        )}
        {o.gift_message && (
          <div className="wide">
            <dt>Gift message</dt>
            <dd>{o.gift_message}</dd>
          </div>
        )}
      </dl>
    </section>
  );
}
