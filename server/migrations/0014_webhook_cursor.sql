-- Webhook delivery from a cursor over the event log: one write per successful delivery.
--
-- The consumer no longer creates a pending delivery per (endpoint, event); it only wakes the
-- endpoint's drain. The drain reads the events after its endpoint's cursor straight from the log,
-- sends them, and writes each one's delivery row once, with its outcome, moving the cursor in the
-- same transaction. Rows before the cursor are the delivery log; pending rows (a retry, a
-- redelivery, a replay) are only ever at or before it, so the drain sends them first and order by
-- seq holds. Disabling an endpoint writes its unsent events as cancelled deliveries and moves the
-- cursor past them; enabling moves it to the latest event.

-- The subscription rule of policy.ts's matchesEventTypes, for the statements that filter the log
-- by an endpoint's types: exact types, `prefix.*`, or `*`.
create function webhook_wants(event_types text[], type text) returns boolean
language sql immutable parallel safe
as $$
  select exists (
    select 1 from unnest(event_types) p
    where p = '*' or p = type or (p like '%.*' and starts_with(type, left(p, -1))))
$$;

alter table webhook_sending add column cursor_seq bigint not null default 0;
comment on column webhook_sending.cursor_seq is
  'every event the endpoint wants up to this seq has its delivery row; the drain reads the log after it';

-- Existing endpoints: the consumer created rows for every event up to where it read; the drain
-- takes over from there, or from a later row a replay made ahead of the consumer (the events
-- between get their pending rows first, so nothing is skipped).
insert into webhook_deliveries (tenant_id, webhook_id, delivery_id, event_id, event_seq, event_type, status)
select w.tenant_id, w.webhook_id, 'dlv_' || md5(w.webhook_id || ':' || e.seq), e.event_id, e.seq, e.type, 'pending'
from webhook_endpoints w
join events e on e.tenant_id = w.tenant_id and e.seq is not null
  and e.seq > coalesce((select last_seq from orderly_system.event_consumers where name = 'webhooks'), 0)
  and e.seq < (select max(d.event_seq) from webhook_deliveries d
               where d.tenant_id = w.tenant_id and d.webhook_id = w.webhook_id)
where w.enabled and e.created_at >= w.created_at and webhook_wants(w.event_types, e.type)
on conflict (tenant_id, webhook_id, event_seq) do nothing;

insert into webhook_sending (tenant_id, webhook_id, cursor_seq)
select w.tenant_id, w.webhook_id,
  greatest(
    coalesce((select last_seq from orderly_system.event_consumers where name = 'webhooks'), 0),
    coalesce((select max(d.event_seq) from webhook_deliveries d
              where d.tenant_id = w.tenant_id and d.webhook_id = w.webhook_id), 0))
from webhook_endpoints w
on conflict (tenant_id, webhook_id) do update set cursor_seq = excluded.cursor_seq;

