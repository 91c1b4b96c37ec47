-- 001_init: the catalog (items), its price/rank history, scout cursors and worker runs.
-- PostgreSQL is the source of truth; Redis only carries hints (see README, "Redis keys").

CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE items (
    source           text NOT NULL,
    id               text NOT NULL,
    status           text NOT NULL DEFAULT 'pending_processing'
                     CHECK (status IN ('pending_processing', 'active', 'failed')),
    priority         smallint NOT NULL DEFAULT 5 CHECK (priority BETWEEN 1 AND 9),
    attempts         integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error       text,
    payload          jsonb,
    content_hash     text,
    discovered_at    timestamptz NOT NULL DEFAULT now(),
    last_updated     timestamptz,          -- when the payload was last fetched
    last_changed     timestamptz,          -- when a fetch last found different content
    next_update_due  timestamptz,
    refresh_interval interval NOT NULL DEFAULT interval '1 hour'
                     CHECK (refresh_interval > interval '0'),
    lease            bigint NOT NULL DEFAULT 0,  -- fencing token: bumped on every claim
    claimed_until    timestamptz,          -- a processor owns the row until then
    queued_at        timestamptz,          -- when it was last put on a queue
    discovery        jsonb,                -- what the scout saw (the deal), if anything
    PRIMARY KEY (source, id),
    CHECK (status <> 'active' OR payload IS NOT NULL),
    CHECK (status <> 'failed' OR last_error IS NOT NULL)
);

-- "What is due for refresh": only active rows, in due order, so a pass reads the due
-- rows and nothing else however large the catalog.
CREATE INDEX items_due ON items (source, next_update_due) WHERE status = 'active';
-- Counts by status without touching the heap (index-only scans).
CREATE INDEX items_status ON items (source, status);
-- Pending rows by age, for the recovery of work Redis lost.
CREATE INDEX items_pending ON items (source, queued_at) WHERE status = 'pending_processing';
-- Dead letters by time, for `freshetctl dlq list`.
CREATE INDEX items_failed ON items (source, last_updated) WHERE status = 'failed';

-- Observed prices and ranks, append-only, partitioned by month. observed_at is the
-- upstream record's own version time (its newest price/rank change), not the fetch time,
-- so fetching unchanged data twice maps to the same key and is written once.
CREATE TABLE item_history (
    source           text NOT NULL,
    id               text NOT NULL,
    observed_at      timestamptz NOT NULL,
    fetched_at       timestamptz NOT NULL DEFAULT now(),
    content_hash     text NOT NULL,
    price_amazon     integer,
    price_new        integer,
    sales_rank       integer,
    buybox_seller_id text,
    PRIMARY KEY (source, id, observed_at)
) PARTITION BY RANGE (observed_at);

-- Old observations (before the first monthly partition) land here instead of failing.
CREATE TABLE item_history_default PARTITION OF item_history DEFAULT;

-- Creates the monthly partitions from the current month to months_ahead months later;
-- returns how many it created. Idempotent; called by migrate and by the refresher.
CREATE FUNCTION freshet_ensure_history_partitions(months_ahead integer DEFAULT 3)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    m date := date_trunc('month', now())::date;
    created integer := 0;
    name text;
BEGIN
    FOR i IN 0..months_ahead LOOP
        name := format('item_history_y%sm%s', to_char(m, 'YYYY'), to_char(m, 'MM'));
        IF to_regclass(name) IS NULL THEN
            EXECUTE format('CREATE TABLE %I PARTITION OF item_history FOR VALUES FROM (%L) TO (%L)',
                           name, m, (m + interval '1 month')::date);
            created := created + 1;
        END IF;
        m := (m + interval '1 month')::date;
    END LOOP;
    RETURN created;
END $$;

SELECT freshet_ensure_history_partitions(3);

-- Where a scout's trickle backfill stopped, so a restart resumes there.
CREATE TABLE scout_cursors (
    source     text NOT NULL,
    name       text NOT NULL,
    cursor     jsonb NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, name)
);

-- One row per daemon pass (or --once run): for "three consecutive failed runs" alerts.
CREATE TABLE worker_runs (
    run_id      bigserial PRIMARY KEY,
    source      text NOT NULL,
    program     text NOT NULL,
    worker_id   text NOT NULL,
    started_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    ok          boolean,
    items       integer NOT NULL DEFAULT 0,
    error       text
);
CREATE INDEX worker_runs_recent ON worker_runs (source, program, started_at DESC);
