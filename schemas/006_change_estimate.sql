-- 006_change_estimate: what makes the change-rate estimate hold when refreshes are not
-- evenly spaced (README "Freshness"). change_tc is the part of change_t spent in the
-- intervals that found new content; with it the estimate is the likelihood's answer for
-- uneven intervals, and Cho & Garcia-Molina's for even ones (common/freshness.h). The
-- plan's prior_rate is the catalog's typical estimated rate: the prior of an item whose
-- upstream gives no history of its own. Constant defaults rewrite no row.
ALTER TABLE items ADD COLUMN change_tc double precision NOT NULL DEFAULT 0;
ALTER TABLE refresh_plans ADD COLUMN prior_rate double precision;

-- The estimate a write stores in change_rate (changes a second): with no refresh
-- observed, the prior; else fr_fresh_estimate_uneven (common/freshness.h) over n fetches
-- in t seconds, x of which found new content in tc of them, blended with the prior
-- weighted as two fetches. Rows observed before change_tc was kept use Cho's form.
CREATE FUNCTION change_rate_estimate(n float8, x float8, t float8, tc float8, prior float8)
RETURNS float8 LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN n <= 0 THEN prior
           ELSE (CASE WHEN x <= 0 OR t <= 0 THEN 0
                      WHEN tc <= 0 THEN -ln((n - least(x, n) + 0.5) / (n + 0.5)) / (t / n)
                      ELSE ln(1 + least(tc, t) / (t - least(tc, t) + 0.5 * t / n))
                           / (least(tc, t) / least(x, n)) END
                 * n + 2 * prior) / (n + 2) END
$$;

-- The refresh interval (seconds) a plan gives a change rate: its band's (common/
-- freshness.h: bands of width `width` in ln(rate) from ln_min); NULL without a plan.
CREATE FUNCTION plan_interval(plan float8[], rate float8, ln_min float8, width float8)
RETURNS float8 LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN cardinality(plan) > 0
           THEN plan[1 + least(cardinality(plan) - 1,
                               greatest(0, floor((ln(greatest(rate, 1e-300)) - ln_min)
                                                 / width)::int))] END
$$;
