-- Webhook delivery, cheaper per delivery. Each delivery row is written three times (created,
-- claimed, finished) and none of those updates can be HOT (the status is in an index's predicate),
-- so every index on the table is written three times per delivery. The log filtered by status
-- needed its own index only for the rare statuses: open ones are in `webhook_deliveries_open`,
-- succeeded ones are most of the log (a walk down `webhook_deliveries_event` finds them at once),
-- and failed and cancelled ones get a small partial index.
drop index webhook_deliveries_status;
create index webhook_deliveries_finished_badly on webhook_deliveries (tenant_id, webhook_id, event_seq)
  where status in ('failed', 'cancelled');

-- A claim rewrites each delivery it takes and a record rewrites it again: room on the page lets
-- the new version land beside the old one, so the table grows less between vacuums.
alter table webhook_deliveries set (fillfactor = 80);

-- Whether an endpoint's drain is queued or running and will look at its deliveries again before it
-- ends. The consumer starts a drain only for an endpoint whose drain is closed, instead of one per
-- endpoint per batch of events that queued behind the one running and found nothing. A drain
-- closes it, under the endpoint's lock, when it finds nothing to do; the sweep restarts any
-- endpoint whose deliveries wait with no drain (one that failed, or was cancelled, while open).
alter table webhook_endpoints add column drain_open boolean not null default false;
