import { useEffect, useState } from 'react';

/**
 * How many orders were captured since the list was read, from the live event stream. A notice is
 * enough: prepending rows would shift the one a person is about to click.
 */
export function useNewOrders(): { count: number; reset: () => void } {
  const [count, setCount] = useState(0);
  useEffect(() => {
    // EventSource reconnects by itself (with Last-Event-ID, so nothing is counted twice).
    const source = new EventSource('/v1/stream?types=order.created');
    source.addEventListener('order.created', () => setCount((n) => n + 1));
    return () => source.close();
  }, []);
  return { count, reset: () => setCount(0) };
}
