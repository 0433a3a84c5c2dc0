import { type FormEvent, useState } from 'react';
import type { InventoryFilter, Location } from './api.ts';

type Props = {
  filter: InventoryFilter;
  onFilter: (filter: InventoryFilter) => void;
  locations: Location[];
};

/** SKUs may not hold spaces or commas, so either separates them. */
const parseSkus = (text: string) => [...new Set(text.split(/[\s,]+/).filter(Boolean))];

/** The SKU list applies on Enter or "Filter"; a location applies as soon as it is ticked. */
export function InventoryFilters({ filter, onFilter, locations }: Props) {
  const [skuText, setSkuText] = useState(filter.skus.join(', '));
  const filtered = filter.skus.length > 0 || filter.locationIds.length > 0;

  function apply(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    onFilter({ ...filter, skus: parseSkus(skuText) });
  }

  function toggle(id: string, on: boolean) {
    const locationIds = on ? [...filter.locationIds, id] : filter.locationIds.filter((l) => l !== id);
    onFilter({ skus: parseSkus(skuText), locationIds });
  }

  function clear() {
    setSkuText('');
    onFilter({ skus: [], locationIds: [] });
  }

  return (
    <form className="filters" onSubmit={apply} aria-label="Filter balances">
      <div className="filter-sku">
        <label>
          SKUs
          <input
            name="sku"
            value={skuText}
            onChange={(e) => setSkuText(e.target.value)}
            placeholder="Exact SKUs, comma-separated"
            autoComplete="off"
            spellCheck={false}
          />
        </label>
        <button type="submit">Filter</button>
        {filtered && (
          <button type="button" onClick={clear}>
            Clear filters
          </button>
        )}
      </div>
      {locations.length > 0 && (
        <fieldset className="chips">
          <legend>Locations</legend>
          {locations.map((l) => (
            <label key={l.location_id} className="chip" title={l.location_id}>
              <input
                type="checkbox"
                checked={filter.locationIds.includes(l.location_id)}
                onChange={(e) => toggle(l.location_id, e.target.checked)}
              />
              {l.name}
            </label>
          ))}
        </fieldset>
      )}
    </form>
  );
}
