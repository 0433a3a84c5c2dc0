-- Live updates: after the sequencer numbers a batch it notifies `orderly_events` with the highest
-- sequence number it handed out. Postgres delivers the notification only when the numbering
-- commits, so a listener that hears N can read every event up to N. Each API process listens on
-- one connection and wakes its /v1/stream clients (server/src/modules/events/stream.ts).
create or replace function orderly_system.sequence_events(wait boolean) returns integer
language plpgsql as $$
declare
  numbered integer;
  top bigint;
begin
  if wait then
    perform pg_advisory_xact_lock(7461002);
  elsif not pg_try_advisory_xact_lock(7461002) then
    return 0;
  end if;
  with pending as materialized (
    select tenant_id, event_id from events where seq is null order by event_id limit 5000 for update
  ), numbered_events as (
    select tenant_id, event_id, nextval('orderly_system.event_seq') as seq from pending
  ), updated as (
    update events e set seq = n.seq
    from numbered_events n
    where e.tenant_id = n.tenant_id and e.event_id = n.event_id
    returning n.seq
  )
  select count(*), max(seq) into numbered, top from updated;
  if numbered > 0 then
    perform pg_notify('orderly_events', top::text);
  end if;
  return numbered;
end $$;
