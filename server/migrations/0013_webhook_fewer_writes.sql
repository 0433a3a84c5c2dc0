-- Webhook delivery in two writes per successful delivery (created, then succeeded) instead of four.
--
-- 1. A claim no longer marks each delivery it takes `delivering`: the endpoint's drain notes once
--    per batch, in `webhook_sending`, since when it has a batch claimed and not yet recorded. The
--    sweep reads that to tell an endpoint in flight from one nobody is sending. It is a table of
--    its own, not a column of webhook_endpoints, because the consumer holds an endpoint's row
--    (for no key update) while it creates deliveries for it: a drain writing that row on every
--    claim and every record would wait for the consumer each time.
-- 2. A success is not logged in webhook_attempts: the delivery row holds the last attempt, and a
--    succeeded delivery's last attempt is its success. Only failed attempts get rows; redelivery
--    and replay copy the success there before reopening the delivery.

create table webhook_sending (
  tenant_id      text not null,
  webhook_id     text not null,
  -- when the drain claimed the batch it is sending; null when nothing is in flight
  sending_since  timestamptz,
  primary key (tenant_id, webhook_id),
  foreign key (tenant_id, webhook_id) references webhook_endpoints (tenant_id, webhook_id) on delete cascade
);

-- What was in flight goes back to waiting, as a drain that did not send it would have left it.
update webhook_deliveries set status = 'pending',
  retry_started_at = case when round_attempts = 0 then null else retry_started_at end, updated_at = now()
where status = 'delivering';

alter table webhook_deliveries drop constraint webhook_deliveries_status_check;
alter table webhook_deliveries add constraint webhook_deliveries_status_check
  check (status in ('pending', 'succeeded', 'failed', 'cancelled'));

drop index webhook_deliveries_open;
create index webhook_deliveries_open on webhook_deliveries (tenant_id, webhook_id, event_seq)
  where status = 'pending';
