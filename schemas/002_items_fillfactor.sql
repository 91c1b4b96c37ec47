-- 002_items_fillfactor: leave room in each page of items so the processor's claim
-- (lease, claimed_until: no indexed column) is a HOT update that writes no index entry.
ALTER TABLE items SET (fillfactor = 70);
