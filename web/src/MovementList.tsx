import type { InventoryMovement, Location, SkuLocationBalance } from './api.ts';
import { formatAgo, formatDate, formatNumber } from './format.ts';
import { availableAfter, describeActor, describeCause, describeChange } from './movements.ts';

type Props = {
  movements: InventoryMovement[];
  balances: SkuLocationBalance[];
  locations: Map<string, Location>;
};

// Adjustments and counts carry the person's note as their reference; the rest carry an id.
const NOTE_CAUSES = new Set(['adjustment', 'count']);

export function MovementList({ movements, balances, locations }: Props) {
  if (movements.length === 0) return <p className="muted">No movements yet.</p>;
  const after = availableAfter(movements, balances);
  const nameOf = (id: string) =>
    locations.get(id)?.name ?? balances.find((b) => b.location_id === id)?.location_name ?? id;

  return (
    <ol className="movements">
      {movements.map((m, i) => {
        const change = describeChange(m);
        return (
          <li key={m.seq}>
            <span className={`change change-${change.direction}`}>{change.text}</span>
            <span className="movement-why">
              <span className="cause">{describeCause(m)}</span>
              {m.reference &&
                (NOTE_CAUSES.has(m.cause) ? (
                  <span className="note"> “{m.reference}”</span>
                ) : (
                  <>
                    {' '}
                    <code>{m.reference}</code>
                  </>
                ))}
              <span className="sep"> · </span>
              <span title={m.location_id}>{nameOf(m.location_id)}</span>
              <span className="sep"> · </span>
              <span className="muted" title={m.actor.id}>
                by {describeActor(m.actor)}
              </span>
              <span className="sep"> · </span>
              <time className="muted" dateTime={m.created_at} title={formatDate(m.created_at)}>
                {formatAgo(m.created_at)}
              </time>
            </span>
            <span className="after" title={`Available at ${nameOf(m.location_id)} right after this`}>
              {formatNumber(after[i]!)} available
            </span>
          </li>
        );
      })}
    </ol>
  );
}
