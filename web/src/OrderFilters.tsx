import { type FormEvent, useState } from 'react';
import type { OrderFilter, OrderStatus } from './api.ts';
import { isFiltered, NO_ORDER_FILTER, STATUS_GROUPS, type StatusGroup } from './orders.ts';

type Props = { filter: OrderFilter; onFilter: (filter: OrderFilter) => void };

const FLAGS = [
  { key: 'late', label: 'Late' },
  { key: 'onHold', label: 'On hold' },
  { key: 'backordered', label: 'Backordered' },
] as const;

const SORTS: { value: OrderFilter['sort']; label: string }[] = [
  { value: '-placed_at', label: 'Newest first' },
  { value: 'placed_at', label: 'Oldest first' },
  { value: 'promised_delivery_date', label: 'Promised soonest' },
  { value: '-total', label: 'Largest total' },
];

const groupOn = (filter: OrderFilter, g: StatusGroup) => g.statuses.every((s) => filter.statuses.includes(s));

/** Search and channel apply on Enter or "Search"; everything else as soon as it changes. */
export function OrderFilters({ filter, onFilter }: Props) {
  const [q, setQ] = useState(filter.q);
  const [channel, setChannel] = useState(filter.channel);
  const typed = { q: q.trim(), channel: channel.trim().toLowerCase() };
  const change = (over: Partial<OrderFilter>) => onFilter({ ...filter, ...typed, ...over });

  function apply(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    change({});
  }

  function toggleGroup(g: StatusGroup, on: boolean) {
    const others = filter.statuses.filter((s) => !(g.statuses as readonly OrderStatus[]).includes(s));
    change({ statuses: on ? [...others, ...g.statuses] : others });
  }

  function clear() {
    setQ('');
    setChannel('');
    onFilter({ ...NO_ORDER_FILTER, sort: filter.sort });
  }

  return (
    <form className="filters" onSubmit={apply} aria-label="Filter orders">
      <div className="filter-row">
        <label className="grow">
          Search
          <input
            type="search"
            name="q"
            value={q}
            onChange={(e) => setQ(e.target.value)}
            placeholder="#1001, customer name or email, SKU, channel order id"
            autoComplete="off"
            spellCheck={false}
          />
        </label>
        <label>
          Channel
          <input
            name="channel"
            value={channel}
            onChange={(e) => setChannel(e.target.value)}
            placeholder="web, marketplace…"
            autoComplete="off"
            spellCheck={false}
          />
        </label>
        <button type="submit">Search</button>
        {isFiltered(filter) && (
          <button type="button" onClick={clear}>
            Clear filters
          </button>
        )}
      </div>
      <div className="filter-row">
        <label>
          Placed from
          <input
            type="date"
            value={filter.placedFrom}
            max={filter.placedTo || undefined}
            onChange={(e) => change({ placedFrom: e.target.value })}
          />
        </label>
        <label>
          Placed to
          <input
            type="date"
            value={filter.placedTo}
            min={filter.placedFrom || undefined}
            onChange={(e) => change({ placedTo: e.target.value })}
          />
        </label>
        <label>
          Sort
          <select
            value={filter.sort}
            onChange={(e) => change({ sort: e.target.value as OrderFilter['sort'] })}
          >
            {SORTS.map((s) => (
              <option key={s.value} value={s.value}>
                {s.label}
              </option>
            ))}
          </select>
        </label>
      </div>
      <fieldset className="chips">
        <legend>Status</legend>
        {STATUS_GROUPS.map((g) => (
          <label key={g.id} className="chip" title={g.statuses.join(', ').replaceAll('_', ' ')}>
            <input
              type="checkbox"
              checked={groupOn(filter, g)}
              onChange={(e) => toggleGroup(g, e.target.checked)}
            />
            <span className={`dot status-${g.id}`} aria-hidden="true" />
            {g.label}
          </label>
        ))}
      </fieldset>
      <fieldset className="chips">
        <legend>Only</legend>
        {FLAGS.map((f) => (
          <label key={f.key} className="chip">
            <input
              type="checkbox"
              checked={filter[f.key]}
              onChange={(e) => change({ [f.key]: e.target.checked })}
            />
            {f.label}
          </label>
        ))}
      </fieldset>
    </form>
  );
}
