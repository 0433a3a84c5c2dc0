import { getSkuInventory, type Location, listMovements } from './api.ts';
import { BUCKET_LABELS } from './buckets.ts';
import { formatNumber } from './format.ts';
import { LocationTypeBadge } from './LocationTypeBadge.tsx';
import { MovementList } from './MovementList.tsx';
import { StockBar, StockLegend } from './StockBar.tsx';
import { sectionHref } from './sections.ts';
import { useLoad } from './useLoad.ts';

const MOVEMENTS_SHOWN = 50;
const TOTALS = ['available', 'reserved', 'safety', 'quarantine', 'damaged', 'incoming', 'on_hand'] as const;
const TOTAL_LABELS = { ...BUCKET_LABELS, on_hand: 'On hand' };

type Props = { sku: string; locations: Map<string, Location> };

/** One SKU: totals, each location, and the movements that explain how the numbers got there. */
export function SkuDetail({ sku, locations }: Props) {
  // Read together, so the "available after" numbers start from the balances the movements led to.
  const loaded = useLoad(() => Promise.all([getSkuInventory(sku), listMovements(sku, MOVEMENTS_SHOWN)]));
  const back = (
    <p className="back">
      <a href={sectionHref('inventory')}>← All inventory</a>
    </p>
  );

  if (loaded.state === 'loading')
    return (
      <>
        {back}
        <p className="muted">Loading {sku}…</p>
      </>
    );
  if (loaded.state === 'error') {
    return (
      <>
        {back}
        <p className="alert" role="alert">
          {loaded.error.message}
        </p>
      </>
    );
  }

  const [inventory, movements] = loaded.data;
  const scale = Math.max(1, ...inventory.locations.map((l) => l.on_hand));
  return (
    <>
      {back}
      <section className="card" aria-labelledby="sku-title">
        <h2 id="sku-title" className="sku-title">
          <code>{inventory.sku}</code>
        </h2>
        <dl className="totals">
          {TOTALS.map((k) => (
            <div key={k} className={k === 'on_hand' ? 'total-on-hand' : undefined}>
              <dt>{TOTAL_LABELS[k]}</dt>
              <dd>{formatNumber(inventory.totals[k])}</dd>
            </div>
          ))}
        </dl>
        <StockBar counts={inventory.totals} scale={inventory.totals.on_hand} />
      </section>

      <section className="card" aria-labelledby="sku-locations-title">
        <h2 id="sku-locations-title">By location</h2>
        {inventory.locations.length === 0 ? (
          <p className="muted">
            Not stocked anywhere yet — add some with <code>POST /v1/inventory/adjustments</code>.
          </p>
        ) : (
          <>
            <StockLegend />
            <div className="table-wrap">
              <table className="counts" aria-labelledby="sku-locations-title">
                <thead>
                  <tr>
                    <th scope="col">Location</th>
                    <th scope="col">Type</th>
                    <th scope="col">Stock</th>
                    {TOTALS.map((k) => (
                      <th key={k} scope="col" className="num">
                        {TOTAL_LABELS[k]}
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {inventory.locations.map((b) => (
                    <tr key={b.location_id}>
                      <td className="name" title={b.location_id}>
                        {b.location_name ?? <code>{b.location_id}</code>}
                      </td>
                      <td>
                        <LocationTypeBadge type={b.location_type} />
                      </td>
                      <td className="bar-cell">
                        <StockBar counts={b} scale={scale} />
                      </td>
                      {TOTALS.map((k) => (
                        <td key={k} className={`num${b[k] === 0 ? ' zero' : ''}`}>
                          {formatNumber(b[k])}
                          {k === 'safety' && b.safety_target > 0 && (
                            <span className="muted"> of {formatNumber(b.safety_target)}</span>
                          )}
                        </td>
                      ))}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </>
        )}
      </section>

      <section className="card" aria-labelledby="movements-title">
        <h2 id="movements-title">Recent movements</h2>
        <p className="muted hint">
          Newest first{movements.length === MOVEMENTS_SHOWN ? `, the last ${MOVEMENTS_SHOWN}` : ''}. Each line
          is one change to the ledger and why it happened; the number on the right is what was available at
          that location right after it.
        </p>
        <MovementList movements={movements} balances={inventory.locations} locations={locations} />
      </section>
    </>
  );
}
