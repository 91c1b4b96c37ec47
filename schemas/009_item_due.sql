-- 009_item_due: an unchanged refresh is a HOT update of items (README "PostgreSQL cost").
-- PostgreSQL updates a row in place (HOT: no new index entry, only the changed bytes in
-- the WAL) when no indexed column changes. Every refresh moves next_update_due and
-- last_updated, and both were indexed (items_due, items_failed), so each refresh wrote a
-- new version of the whole row (payload included) and an entry in every index.
--
-- The due index now lives in a narrow side table, item_due: one row per active item,
-- kept equal to items (next_update_due, priority) by the triggers below,
-- whoever writes items (the fleet, freshetctl, an operator's UPDATE). The refresher reads
-- it; items.next_update_due stays the truth and stays writable.
--
-- A refresh re-queue leaves the row active (its payload is still served): the refresher
-- marks item_due.requeued_at (never indexed: a HOT update of the narrow row) and skips a
-- marked row until the lease has passed (then Redis lost it). A write that moves the due
-- time clears the mark.
--
-- items and item_due leave half of each page free for the versions HOT updates write
-- (items: new pages only). At 70% a page of four 1.2-KB products had room for two.
ALTER TABLE items SET (fillfactor = 50);

CREATE TABLE item_due (
    source   text NOT NULL,
    id       text NOT NULL,
    due      timestamptz,       -- NULL: never due (an active row inserted without one)
    priority smallint NOT NULL,
    requeued_at timestamptz,
    PRIMARY KEY (source, id)
) WITH (fillfactor = 50);
CREATE INDEX item_due_at ON item_due (source, due);

INSERT INTO item_due (source, id, due, priority)
SELECT source, id, next_update_due, priority FROM items
 WHERE status = 'active';

-- Failed rows by id: last_updated changes on every refresh and must not be indexed.
DROP INDEX IF EXISTS items_failed;
CREATE INDEX items_failed ON items (source, id) WHERE status = 'failed';
DROP INDEX IF EXISTS items_due;

-- Statement-level triggers with transition tables: one statement a write, however many
-- rows (a row trigger would run a statement for each row of a batch).
CREATE FUNCTION item_due_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO item_due (source, id, due, priority)
    SELECT source, id, next_update_due, priority FROM new_rows WHERE status = 'active'
    ON CONFLICT (source, id) DO UPDATE SET due = EXCLUDED.due, priority = EXCLUDED.priority;
    RETURN NULL;
END $$;

-- Each updated row is compared with its item_due row (a primary-key lookup: the
-- transition table has no statistics, and a join of it with old_rows was planned as a
-- nested loop of n x n), so only rows whose status, due time or priority changed touch
-- item_due, and a row that ever went missing there comes back. An UPDATE, not INSERT
-- ... ON CONFLICT: that locks each row first, one more WAL record a row.
CREATE FUNCTION item_due_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    WITH ch AS (
        SELECT n.source, n.id, n.next_update_due AS due, n.priority,
               n.status = 'active' AS keep, d.id IS NOT NULL AS had
          FROM new_rows n LEFT JOIN item_due d ON d.source = n.source AND d.id = n.id
         WHERE CASE WHEN n.status = 'active'
                    THEN d.id IS NULL OR n.next_update_due IS DISTINCT FROM d.due
                         OR n.priority <> d.priority
                    ELSE d.id IS NOT NULL END
    ), gone AS (
        DELETE FROM item_due d USING ch
         WHERE NOT ch.keep AND d.source = ch.source AND d.id = ch.id
    ), moved AS (
        UPDATE item_due d SET due = ch.due, priority = ch.priority, requeued_at = NULL
          FROM ch WHERE ch.keep AND ch.had AND d.source = ch.source AND d.id = ch.id
    )
    INSERT INTO item_due (source, id, due, priority)
    SELECT source, id, due, priority FROM ch WHERE keep AND NOT had
    ON CONFLICT (source, id) DO UPDATE
        SET due = EXCLUDED.due, priority = EXCLUDED.priority, requeued_at = NULL;
    RETURN NULL;
END $$;

CREATE FUNCTION item_due_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM item_due d USING old_rows o WHERE d.source = o.source AND d.id = o.id;
    RETURN NULL;
END $$;

CREATE FUNCTION item_due_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE item_due;
    RETURN NULL;
END $$;

CREATE TRIGGER item_due_ins AFTER INSERT ON items REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION item_due_inserted();
CREATE TRIGGER item_due_upd AFTER UPDATE ON items REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION item_due_updated();
CREATE TRIGGER item_due_del AFTER DELETE ON items REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION item_due_deleted();
CREATE TRIGGER item_due_trunc AFTER TRUNCATE ON items
    FOR EACH STATEMENT EXECUTE FUNCTION item_due_truncated();
