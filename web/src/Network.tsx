import { listAllLocations } from './api.ts';
import { LocationTable } from './LocationTable.tsx';
import { NetworkMap, onMap } from './NetworkMap.tsx';
import { useLoad } from './useLoad.ts';

export function Network() {
  const locations = useLoad(listAllLocations);
  if (locations.state === 'loading') return <p className="muted">Loading locations…</p>;
  if (locations.state === 'error') {
    return (
      <p className="alert" role="alert">
        {locations.error.message}
      </p>
    );
  }
  if (locations.data.length === 0) {
    return (
      <div className="empty">
        <p>
          No locations yet — add a warehouse, store or supplier with <code>POST /v1/locations</code>.
        </p>
      </div>
    );
  }

  const offMap = locations.data.filter((l) => !onMap(l));
  return (
    <>
      <section className="card" aria-labelledby="map-heading">
        <h2 id="map-heading">Map</h2>
        <NetworkMap locations={locations.data} />
        {offMap.length > 0 && (
          <p className="muted hint">
            Outside this map of the contiguous US, so only in the list: {offMap.map((l) => l.name).join(', ')}
            .
          </p>
        )}
      </section>
      <section className="card" aria-labelledby="locations-title">
        <h2 id="locations-title">Locations ({locations.data.length})</h2>
        <LocationTable locations={locations.data} />
      </section>
    </>
  );
}
