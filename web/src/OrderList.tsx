import { type OrderFilter, type OrderSummary, ordersCsvUrl, ordersPath } from './api.ts';
import { formatAgo, formatDate, formatDay, formatMoney } from './format.ts';
import { ListFooter } from './ListFooter.tsx';
import { OrderFilters } from './OrderFilters.tsx';
import { customerName, isFiltered, isLate, localToday } from './orders.ts';
import { StatusBadge } from './StatusBadge.tsx';
import { sectionHref } from './sections.ts';
import { useNewOrders } from './useNewOrders.ts';
import { usePaged } from './usePaged.ts';

type Props = { filter: OrderFilter; onFilter: (filter: OrderFilter) => void };

export function OrderList({ filter, onFilter }: Props) {
  const orders = usePaged<OrderSummary>(ordersPath(filter));
  const fresh = useNewOrders();
  const today = localToday();

  function showNew() {
    fresh.reset();
    orders.reload();
  }

  return (
    <section className="card" aria-labelledby="orders-title">
      <div className="card-head">
        <h2 id="orders-title">Orders</h2>
        <a className="button" href={ordersCsvUrl(filter)} download>
          Download CSV
        </a>
      </div>
      <OrderFilters filter={filter} onFilter={onFilter} />
      {fresh.count > 0 && (
        <p className="notice" role="status">
          {fresh.count === 1 ? '1 new order' : `${fresh.count} new orders`} since this list was loaded.{' '}
          <button type="button" onClick={showNew}>
            Show
          </button>
        </p>
      )}
      <div className="table-wrap">
        <table className="orders stack" aria-labelledby="orders-title">
          <thead>
            <tr>
              <th scope="col">Order</th>
              <th scope="col">Placed</th>
              <th scope="col">Channel</th>
              <th scope="col">Customer</th>
              <th scope="col">Status</th>
              <th scope="col">Promised</th>
              <th scope="col" className="num">
                Total
              </th>
            </tr>
          </thead>
          <tbody>
            {orders.items.map((o) => {
              const late = isLate(o, today);
              return (
                <tr key={o.order_id}>
                  <td data-label="Order">
                    <a href={sectionHref('orders', o.order_id)}>#{o.order_number}</a>
                  </td>
                  <td data-label="Placed" className="when" title={formatDate(o.placed_at)}>
                    {formatAgo(o.placed_at)}
                  </td>
                  <td data-label="Channel" title={o.channel_order_id}>
                    {o.channel}
                  </td>
                  <td data-label="Customer" className="name" title={o.customer.email}>
                    {customerName(o)}
                  </td>
                  <td data-label="Status">
                    <StatusBadge status={o.status} />
                  </td>
                  <td data-label="Promised" className={late ? 'late' : undefined}>
                    {o.promised_delivery_date ? formatDay(o.promised_delivery_date) : '—'}
                    {late && <span className="badge late-badge">Late</span>}
                  </td>
                  <td data-label="Total" className="num">
                    {formatMoney(o.totals.total, o.currency)}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <ListFooter
        {...orders}
        empty={
          isFiltered(filter) ? (
            'No orders match these filters.'
          ) : (
            <>
              No orders yet — they arrive from sales channels, or with <code>POST /v1/orders</code>.
            </>
          )
        }
      />
    </section>
  );
}
