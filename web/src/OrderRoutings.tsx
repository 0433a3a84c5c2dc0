import type { Me, OrderRouting } from './api.ts';
import { formatDate } from './format.ts';
import { actorName } from './orders.ts';

type Props = { routings: OrderRouting[]; me: Me; nameOf: (locationId: string) => string };

type Explanation = { why?: unknown; winner?: { location_ids?: unknown } | null };

/** The plan is the planner's whole record; a person needs its verdict and the locations it chose. */
function verdict(r: OrderRouting): { why: string; chosen: string[] } {
  const explanation = (r.plan.explanation ?? {}) as Explanation;
  const ids = explanation.winner?.location_ids;
  return {
    why: typeof explanation.why === 'string' ? explanation.why : 'No explanation was recorded.',
    chosen: Array.isArray(ids) ? ids.map(String) : [],
  };
}

/** The planner writes location ids; a person reads names. */
export const withNames = (text: string, nameOf: (locationId: string) => string) =>
  text.replace(/\bloc_[0-9a-z]+\b/g, (id) => nameOf(id));

/** Each time the order was routed, why it went where it went. */
export function OrderRoutings({ routings, me, nameOf }: Props) {
  return (
    <section className="card" aria-labelledby="routing-title">
      <h2 id="routing-title">Routing</h2>
      {routings.length === 0 ? (
        <p className="muted">Not routed yet.</p>
      ) : (
        <ol className="routings">
          {routings.map((r) => {
            const { why, chosen } = verdict(r);
            return (
              <li key={r.routing_no}>
                <div className="routing-head">
                  <strong>
                    Routing {r.routing_no} · {r.trigger.replaceAll('_', ' ')}
                  </strong>
                  {chosen.length > 0 && <span> → {chosen.map(nameOf).join(' and ')}</span>}
                  <span className="muted">
                    {' '}
                    · {formatDate(r.created_at)} · by {actorName(r.actor, me)}
                  </span>
                </div>
                {r.reason && <div className="note">“{r.reason}”</div>}
                <p className="why">{withNames(why, nameOf)}</p>
              </li>
            );
          })}
        </ol>
      )}
    </section>
  );
}
