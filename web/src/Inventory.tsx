import { useMemo, useState } from 'react';
import { type InventoryFilter, type Location, listAllLocations } from './api.ts';
import { InventoryList } from './InventoryList.tsx';
import { SkuDetail } from './SkuDetail.tsx';
import { useLoad } from './useLoad.ts';

const NO_FILTER: InventoryFilter = { skus: [], locationIds: [] };

/** `#/inventory` lists balances; `#/inventory/<sku>` shows one SKU. The filter outlives a visit to a SKU. */
export function Inventory({ sku }: { sku: string | undefined }) {
  const locations = useLoad(listAllLocations);
  const [filter, setFilter] = useState(NO_FILTER);
  const byId = useMemo(
    () =>
      new Map<string, Location>(
        locations.state === 'ok' ? locations.data.map((l) => [l.location_id, l]) : [],
      ),
    [locations],
  );

  return (
    <>
      {locations.state === 'error' && (
        <p className="alert" role="alert">
          Could not load location names, so ids are shown: {locations.error.message}
        </p>
      )}
      {sku ? (
        <SkuDetail key={sku} sku={sku} locations={byId} />
      ) : (
        <InventoryList
          filter={filter}
          onFilter={setFilter}
          locations={locations.state === 'ok' ? locations.data : []}
          byId={byId}
        />
      )}
    </>
  );
}
