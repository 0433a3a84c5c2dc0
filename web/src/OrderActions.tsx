import { type FormEvent, useState } from 'react';
import { type Location, type Order, type OrderAction, runOrderAction } from './api.ts';
import { formatNumber } from './format.ts';
import { asApiError } from './useLoad.ts';

type Kind = OrderAction['kind'];
type Props = { order: Order; locations: Location[]; onChanged: () => void };

const OPENERS: Record<Kind, string> = {
  hold: 'Hold…',
  'release-hold': 'Release hold…',
  notes: 'Add note…',
  cancel: 'Cancel…',
  route: 'Re-route…',
  release: 'Release to fulfillment…',
};
const DONE: Record<Kind, string> = {
  hold: 'The order is on hold.',
  'release-hold': 'The hold is released.',
  notes: 'Note added.',
  cancel: 'Cancelled.',
  route: 'Routed again.',
  release: 'Released to fulfillment.',
};

const openUnits = (l: Order['lines'][number]) => l.quantity - l.cancelled - l.shipped;

/** What makes sense now; the server still decides, and says why when the page was out of date. */
function offered(o: Order): Kind[] {
  const open = o.lines.some((l) => openUnits(l) > 0);
  const released = o.released_at !== null;
  const kinds: Kind[] = [];
  if (o.on_hold) kinds.push('release-hold');
  else if (open) kinds.push('hold');
  if (!o.on_hold && !released && o.lines.some((l) => l.allocated > 0)) kinds.push('release');
  if (open && !released) kinds.push('route');
  if (open) kinds.push('cancel');
  kinds.push('notes');
  return kinds;
}

/** Hold, release, cancel, re-route, note: for managers and admins, each with its reason. */
export function OrderActions({ order, locations, onChanged }: Props) {
  const [open, setOpen] = useState<Kind | null>(null);
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | null>(null);

  async function run(action: OrderAction) {
    setBusy(true);
    setOutcome(null);
    try {
      await runOrderAction(order.order_id, action);
      setOutcome({ ok: true, text: DONE[action.kind] });
      setOpen(null);
      onChanged();
    } catch (err) {
      const error = asApiError(err);
      setOutcome({ ok: false, text: error.message });
      // 409: the order is not in the state this page showed; show the state it is in.
      if (error.status === 409) {
        setOpen(null);
        onChanged();
      }
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="card" aria-labelledby="actions-title">
      <h2 id="actions-title">Actions</h2>
      <div className="actions">
        {offered(order).map((k) => (
          <button
            key={k}
            type="button"
            aria-expanded={open === k}
            className={open === k ? 'active' : undefined}
            onClick={() => {
              setOutcome(null);
              setOpen(open === k ? null : k);
            }}
          >
            {OPENERS[k]}
          </button>
        ))}
      </div>
      {outcome && (
        <p className={outcome.ok ? 'notice' : 'alert'} role={outcome.ok ? 'status' : 'alert'}>
          {outcome.text}
        </p>
      )}
      {open && (
        <ActionForm
          key={open}
          kind={open}
          order={order}
          locations={locations}
          busy={busy}
          onRun={run}
          onClose={() => setOpen(null)}
        />
      )}
    </section>
  );
}

type FormProps = {
  kind: Kind;
  order: Order;
  locations: Location[];
  busy: boolean;
  onRun: (action: OrderAction) => void;
  onClose: () => void;
};

const TEXT_FIELD: Partial<Record<Kind, { label: string; required: boolean; max: number }>> = {
  hold: { label: 'Reason for the hold', required: true, max: 500 },
  'release-hold': { label: 'Note (optional)', required: false, max: 500 },
  notes: { label: 'Note', required: true, max: 2000 },
  cancel: { label: 'Reason for cancelling', required: true, max: 500 },
  route: { label: 'Reason for routing again', required: true, max: 500 },
};

function ActionForm({ kind, order, locations, busy, onRun, onClose }: FormProps) {
  const [text, setText] = useState('');
  const [lineNo, setLineNo] = useState('');
  const [quantity, setQuantity] = useState('1');
  const [locationId, setLocationId] = useState('');
  const field = TEXT_FIELD[kind];
  const cancellable = order.lines.filter((l) => openUnits(l) > 0);
  const line = cancellable.find((l) => String(l.line_no) === lineNo);

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const t = text.trim();
    switch (kind) {
      case 'hold':
        return onRun({ kind, reason: t });
      case 'release-hold':
        return onRun(t ? { kind, note: t } : { kind });
      case 'notes':
        return onRun({ kind, note: t });
      case 'cancel':
        return onRun(
          line
            ? { kind, reason: t, lines: [{ line_no: line.line_no, quantity: Number(quantity) }] }
            : { kind, reason: t },
        );
      case 'route':
        return onRun(locationId ? { kind, reason: t, location_id: locationId } : { kind, reason: t });
      case 'release':
        return onRun({ kind });
    }
  }

  const submitLabel: Record<Kind, string> = {
    hold: 'Put on hold',
    'release-hold': 'Release hold',
    notes: 'Add note',
    cancel: line
      ? `Cancel ${formatNumber(Number(quantity) || 0)} of line ${line.line_no}`
      : 'Cancel the order',
    route: 'Route again',
    release: 'Release to fulfillment',
  };

  return (
    <form className="action-form" onSubmit={submit} aria-label={OPENERS[kind].replace('…', '')}>
      {kind === 'cancel' && (
        <div className="filter-row">
          <label>
            What
            <select value={lineNo} onChange={(e) => setLineNo(e.target.value)}>
              <option value="">Everything not shipped</option>
              {cancellable.map((l) => (
                <option key={l.line_no} value={l.line_no}>
                  Line {l.line_no} · {l.sku} ({formatNumber(openUnits(l))} open)
                </option>
              ))}
            </select>
          </label>
          {line && (
            <label>
              Quantity
              <input
                type="number"
                min={1}
                max={openUnits(line)}
                value={quantity}
                onChange={(e) => setQuantity(e.target.value)}
                required
              />
            </label>
          )}
        </div>
      )}
      {kind === 'route' && (
        <label>
          Ship from
          <select value={locationId} onChange={(e) => setLocationId(e.target.value)}>
            <option value="">Let the planner choose</option>
            {locations.map((l) => (
              <option key={l.location_id} value={l.location_id}>
                {l.name}
              </option>
            ))}
          </select>
        </label>
      )}
      {field && (
        <label>
          {field.label}
          <input
            value={text}
            onChange={(e) => setText(e.target.value)}
            required={field.required}
            maxLength={field.max}
            autoComplete="off"
          />
        </label>
      )}
      {kind === 'cancel' && (
        <p className="muted hint">
          Cancelled units will not ship; their stock goes back. This cannot be undone.
        </p>
      )}
      {kind === 'release' && (
        <p className="muted hint">The allocated units go to the warehouse to be picked and shipped.</p>
      )}
      <div className="actions">
        <button type="submit" className={kind === 'cancel' ? 'danger' : 'primary'} disabled={busy}>
          {busy ? 'Working…' : submitLabel[kind]}
        </button>
        <button type="button" onClick={onClose} disabled={busy}>
          Never mind
        </button>
      </div>
    </form>
  );
}
