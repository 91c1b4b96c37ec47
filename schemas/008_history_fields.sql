-- 008_history_fields: history rows of a declared source hold its `history:` fields
-- (DESIGN.md "Sources"): `fields` is a JSON object of their values, as the source read
-- them (common/source.h, fr_src_item.history); NULL for a source that keeps typed columns
-- instead (keepa: price_amazon, price_new, sales_rank, buybox_seller_id). A nullable
-- column without a default rewrites no row.
ALTER TABLE item_history ADD COLUMN fields jsonb;

-- A history row records a change of the history fields, not of the payload: the write
-- offers one whenever content_hash changed (any field), and this drops it when its
-- fields equal the item's previous row's. Rows without fields are left alone (the WHEN
-- keeps the trigger off their path entirely). One primary-key probe per partition.
CREATE FUNCTION history_fields_unchanged() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM (SELECT h.fields FROM item_history h
                              WHERE h.source = NEW.source AND h.id = NEW.id
                              ORDER BY h.observed_at DESC LIMIT 1) last
               WHERE last.fields = NEW.fields) THEN
        RETURN NULL;
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER item_history_fields_changed BEFORE INSERT ON item_history
    FOR EACH ROW WHEN (NEW.fields IS NOT NULL) EXECUTE FUNCTION history_fields_unchanged();
