import { useMemo, useState } from 'react';
import { type Location, listAllLocations, type Me } from './api.ts';
import { OrderDetail } from './OrderDetail.tsx';
import { OrderList } from './OrderList.tsx';
import { NO_ORDER_FILTER } from './orders.ts';
import { useLoad } from './useLoad.ts';

/** `#/orders` lists orders; `#/orders/<order_id>` shows one. The filter outlives a visit to an order. */
export function Orders({ orderId, me }: { orderId: string | undefined; me: Me }) {
  const [filter, setFilter] = useState(NO_ORDER_FILTER);
  const locations = useLoad(listAllLocations);
  const byId = useMemo(
    () =>
      new Map<string, Location>(
        locations.state === 'ok' ? locations.data.map((l) => [l.location_id, l]) : [],
      ),
    [locations],
  );

  if (!orderId) return <OrderList filter={filter} onFilter={setFilter} />;
  return (
    <>
      {locations.state === 'error' && (
        <p className="alert" role="alert">
          Could not load location names, so ids are shown: {locations.error.message}
        </p>
      )}
      <OrderDetail key={orderId} orderId={orderId} me={me} locations={byId} />
    </>
  );
}
