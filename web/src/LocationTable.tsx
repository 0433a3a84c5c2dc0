import type { Location } from './api.ts';
import { todaysCutoff } from './cutoff.ts';
import { formatNumber } from './format.ts';
import { LocationTypeBadge } from './LocationTypeBadge.tsx';

export function LocationTable({ locations }: { locations: Location[] }) {
  const now = new Date();
  return (
    <div className="table-wrap">
      <table aria-labelledby="locations-title">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Type</th>
            <th scope="col">City</th>
            <th scope="col">Time zone</th>
            <th scope="col">Cut-off today</th>
            <th scope="col" className="num">
              Orders / day
            </th>
            <th scope="col">Status</th>
          </tr>
        </thead>
        <tbody>
          {locations.map((l) => (
            <tr key={l.location_id} className={l.active ? undefined : 'inactive'}>
              <td title={l.location_id}>{l.name}</td>
              <td>
                <LocationTypeBadge type={l.type} />
              </td>
              <td>
                {l.address.city}, {l.address.region}
                {l.address.country !== 'US' && ` (${l.address.country})`}
              </td>
              <td>{l.time_zone}</td>
              <td>
                <Cutoff location={l} now={now} />
              </td>
              <td className="num">
                {l.daily_order_capacity === null ? 'No limit' : formatNumber(l.daily_order_capacity)}
              </td>
              <td>{l.active ? 'Active' : 'Inactive'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Cutoff({ location, now }: { location: Location; now: Date }) {
  const today = todaysCutoff(location, now);
  if (!today) return <span className="muted">Unknown time zone</span>;
  const title = `Local time there: ${today.localNow}. Weekly schedule; holidays are not shown here.`;
  if (today.time === null) {
    return (
      <span className="muted" title={title}>
        No shipping today
      </span>
    );
  }
  return (
    <span title={title}>
      {today.time}
      {today.passed && <span className="muted"> · passed</span>}
    </span>
  );
}
