-- 004_refresh_plan: what the budget-aware schedule needs (README "Freshness").
-- Per item, the refreshes observed since its first fetch (change_n, of which change_x
-- found new content, over change_t seconds) give Cho & Garcia-Molina's change-rate
-- estimate; change_prior is the rate the first fetch suggested (the upstream's own
-- history), weighted as two observations; change_rate (changes per second) blends both.
-- Float counts: old observations are scaled down so the estimate follows an item whose
-- rate changes. Adding columns with constant defaults rewrites no row.
ALTER TABLE items
    ADD COLUMN change_n     double precision NOT NULL DEFAULT 0,
    ADD COLUMN change_x     double precision NOT NULL DEFAULT 0,
    ADD COLUMN change_t     double precision NOT NULL DEFAULT 0,
    ADD COLUMN change_prior double precision,
    ADD COLUMN change_rate  double precision;

-- One row per source, written by the refresher: the refresh interval for each band of
-- change rates that spends the measured budget where it buys the most expected
-- freshness (intervals[k] is for rates in band k, see common/freshness.h), and the
-- figures behind it. Processors read it when they set an item's next refresh.
CREATE TABLE refresh_plans (
    source             text PRIMARY KEY,
    intervals          double precision[] NOT NULL,
    budget_per_s       double precision NOT NULL,   -- refresh fetches a second to spend
    used_per_s         double precision NOT NULL,   -- refreshes re-queued a second lately
    expected_freshness double precision NOT NULL,   -- the model's catalog freshness, 0..1
    items              bigint NOT NULL,             -- active rows the plan covers
    mu                 double precision,            -- the Lagrange multiplier solved for
    updated_at         timestamptz NOT NULL DEFAULT now()
);
