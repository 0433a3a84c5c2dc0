import { useEffect, useState } from 'react';
import {
  getOrder,
  getOrderRoutings,
  getOrderShipments,
  getOrderTimeline,
  type Location,
  type Me,
  type Order,
  type OrderEvent,
  type OrderRouting,
  type OrderShipment,
} from './api.ts';
import { OrderActions } from './OrderActions.tsx';
import { OrderHeader } from './OrderHeader.tsx';
import { OrderLines } from './OrderLines.tsx';
import { OrderRoutings } from './OrderRoutings.tsx';
import { OrderShipments } from './OrderShipments.tsx';
import { OrderTimeline } from './OrderTimeline.tsx';
import { sectionHref } from './sections.ts';
import { asApiError, type Loaded } from './useLoad.ts';

type Props = { orderId: string; me: Me; locations: Map<string, Location> };
type View = { order: Order; events: OrderEvent[]; routings: OrderRouting[]; shipments: OrderShipment[] };

const load = async (orderId: string): Promise<View> => {
  const [order, events, routings, shipments] = await Promise.all([
    getOrder(orderId),
    getOrderTimeline(orderId),
    getOrderRoutings(orderId),
    getOrderShipments(orderId),
  ]);
  return { order, events, routings, shipments };
};

/** One order: who and where, its lines and where each is allocated, what happened to it, and why. */
export function OrderDetail({ orderId, me, locations }: Props) {
  const [version, setVersion] = useState(0);
  const [view, setView] = useState<Loaded<View>>({ state: 'loading' });
  // biome-ignore lint/correctness/useExhaustiveDependencies: `version` is the reload signal after an action.
  useEffect(() => {
    let live = true;
    // A reload keeps the page in place and swaps the data when it arrives.
    load(orderId).then(
      (data) => live && setView({ state: 'ok', data }),
      (err: unknown) => live && setView({ state: 'error', error: asApiError(err) }),
    );
    return () => {
      live = false;
    };
  }, [orderId, version]);

  const back = (
    <p className="back">
      <a href={sectionHref('orders')}>← All orders</a>
    </p>
  );
  if (view.state === 'loading') {
    return (
      <>
        {back}
        <p className="muted">Loading the order…</p>
      </>
    );
  }
  if (view.state === 'error') {
    return (
      <>
        {back}
        <p className="alert" role="alert">
          {view.error.message}
        </p>
      </>
    );
  }

  const { order, events, routings, shipments } = view.data;
  const nameOf = (id: string) => locations.get(id)?.name ?? id;
  const canAct = me.role === 'admin' || me.role === 'manager';
  return (
    <>
      {back}
      <OrderHeader order={order} nameOf={nameOf} />
      {canAct && (
        <OrderActions
          order={order}
          locations={[...locations.values()].filter((l) => l.active)}
          onChanged={() => setVersion((v) => v + 1)}
        />
      )}
      <OrderLines order={order} nameOf={nameOf} />
      <OrderShipments shipments={shipments} nameOf={nameOf} />
      <OrderTimeline events={events} me={me} currency={order.currency} nameOf={nameOf} />
      <OrderRoutings routings={routings} me={me} nameOf={nameOf} />
    </>
  );
}
