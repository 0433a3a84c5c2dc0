import {
  type InventoryBalance,
  type InventoryFilter,
  inventoryCsvUrl,
  inventoryPath,
  type Location,
} from './api.ts';
import { formatAgo, formatDate, formatNumber } from './format.ts';
import { InventoryFilters } from './InventoryFilters.tsx';
import { ListFooter } from './ListFooter.tsx';
import { StockBar, StockLegend } from './StockBar.tsx';
import { sectionHref } from './sections.ts';
import { usePaged } from './usePaged.ts';

type Props = {
  filter: InventoryFilter;
  onFilter: (filter: InventoryFilter) => void;
  locations: Location[];
  byId: Map<string, Location>;
};

const COUNTS = ['available', 'reserved', 'safety', 'quarantine', 'damaged', 'incoming', 'on_hand'] as const;
const COUNT_LABELS: Record<(typeof COUNTS)[number], string> = {
  available: 'Available',
  reserved: 'Reserved',
  safety: 'Safety',
  quarantine: 'Quarantine',
  damaged: 'Damaged',
  incoming: 'Incoming',
  on_hand: 'On hand',
};

export function InventoryList({ filter, onFilter, locations, byId }: Props) {
  const balances = usePaged<InventoryBalance>(inventoryPath(filter));
  const filtered = filter.skus.length > 0 || filter.locationIds.length > 0;
  const scale = Math.max(1, ...balances.items.map((b) => b.on_hand));

  return (
    <section className="card" aria-labelledby="balances-title">
      <div className="card-head">
        <h2 id="balances-title">Balances by SKU and location</h2>
        <a className="button" href={inventoryCsvUrl(filter)} download>
          Download CSV
        </a>
      </div>
      <InventoryFilters filter={filter} onFilter={onFilter} locations={locations} />
      <StockLegend />
      <div className="table-wrap">
        <table className="counts" aria-labelledby="balances-title">
          <thead>
            <tr>
              <th scope="col">SKU</th>
              <th scope="col">Location</th>
              <th scope="col">Stock</th>
              {COUNTS.map((k) => (
                <th key={k} scope="col" className="num">
                  {COUNT_LABELS[k]}
                </th>
              ))}
              <th scope="col">Updated</th>
            </tr>
          </thead>
          <tbody>
            {balances.items.map((b) => {
              const location = byId.get(b.location_id);
              return (
                <tr key={`${b.sku}\u0000${b.location_id}`}>
                  <td>
                    <a href={sectionHref('inventory', b.sku)}>
                      <code>{b.sku}</code>
                    </a>
                  </td>
                  <td className="name" title={b.location_id}>
                    {location?.name ?? <code>{b.location_id}</code>}
                  </td>
                  <td className="bar-cell">
                    <StockBar counts={b} scale={scale} />
                  </td>
                  {COUNTS.map((k) => (
                    <td key={k} className={`num${b[k] === 0 ? ' zero' : ''}`}>
                      {formatNumber(b[k])}
                    </td>
                  ))}
                  <td className="when" title={formatDate(b.updated_at)}>
                    {formatAgo(b.updated_at)}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <ListFooter
        {...balances}
        empty={
          filtered ? (
            'No balances match these filters.'
          ) : (
            <>
              No stock yet — add some with <code>POST /v1/inventory/adjustments</code>.
            </>
          )
        }
      />
    </section>
  );
}
