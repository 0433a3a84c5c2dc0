-- Sourcing policy per tenant: the preset it started from and every resolved setting, so the
-- planner reads one row and a later change to a preset's weights never changes a stored policy.
create table sourcing_policies (
  tenant_id   text not null primary key,
  policy      jsonb not null,
  updated_at  timestamptz not null default now()
);
