-- Consolidation: orders of one customer to one address, released together within a window, share a
-- group; fulfillment makes one shipment per location for the group instead of one per order.
alter table orders add column consolidation_group text;
create index orders_consolidation on orders (tenant_id, lower(customer_email), placed_at)
  where released_at is null and customer_email <> '';
