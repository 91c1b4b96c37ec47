-- 003_drop_items_status: (source, status) was the one index besides the primary key that
-- a lookup by (source, id) could be planned through. A plan cached while items was small
-- took it and then read every row of the source for each batch. The partial indexes
-- (items_due, items_pending, items_failed) count each status without it, and every
-- insert and status change now writes one index entry less.
DROP INDEX IF EXISTS items_status;
