-- 005_llm_analysis: the LLM analysis step (DESIGN.md "LLM analysis", README "LLM
-- analysis"). PostgreSQL is its queue and its truth, so a kill -9 or a Redis flush loses
-- no pending analysis and repeats no answered one.
-- Per row: llm_want is the input hash (model, prompt, schema, rendered inputs) of the
-- stored payload, set by the processor's write in the same statement as the payload;
-- llm_done is the input hash last answered (or given up on: payload.llm_error). A row
-- waits for analysis while they differ. llm_due is when it may be claimed (a claim sets
-- it a lease ahead; a retry, its backoff ahead); llm_bad counts answers that were not
-- JSON or failed the schema (the third ends in llm_error), llm_fails transient failures
-- in a row (the backoff's exponent). Constant defaults rewrite no row.
ALTER TABLE items
    ADD COLUMN llm_want  text,
    ADD COLUMN llm_done  text,
    ADD COLUMN llm_due   timestamptz,
    ADD COLUMN llm_bad   smallint NOT NULL DEFAULT 0,
    ADD COLUMN llm_fails smallint NOT NULL DEFAULT 0;

-- The processor's write keeps what the analysis stored in the payload (a refresh
-- replaces the upstream's fields only; a record whose inputs changed keeps its previous
-- answer until the new one replaces it) ...
CREATE FUNCTION llm_keep(fresh jsonb, stored jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN stored ?| '{llm,llm_error}'
                THEN fresh || (SELECT jsonb_object_agg(key, value) FROM jsonb_each(stored)
                               WHERE key IN ('llm', 'llm_model', 'llm_at', 'llm_error'))
                ELSE fresh END
$$;
-- ... and a row waits for analysis when its write brings an input hash it did not want.
CREATE FUNCTION llm_changed(fresh text, wanted text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(fresh <> wanted, fresh IS NOT NULL)
$$;

-- The analysis queue: only rows waiting are in it, ordered by when they may go.
CREATE INDEX items_llm_waiting ON items (source, llm_due)
    WHERE llm_want IS DISTINCT FROM llm_done;

-- Answers by input hash: the same inputs are paid for once, fleet-wide, whatever Redis
-- remembers. Rows older than FRESHET_LLM_CACHE_TTL are not used and are deleted.
CREATE TABLE llm_cache (
    hash              text PRIMARY KEY,
    source            text NOT NULL,
    model             text NOT NULL,
    answer            jsonb NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX llm_cache_created ON llm_cache (created_at);

-- Tokens paid per source and UTC day (answers refused as not JSON or off-schema were
-- paid too): what `freshetctl status` shows as spent today.
CREATE TABLE llm_usage (
    source            text NOT NULL,
    day               date NOT NULL,
    requests          bigint NOT NULL DEFAULT 0,
    prompt_tokens     bigint NOT NULL DEFAULT 0,
    completion_tokens bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (source, day)
);
