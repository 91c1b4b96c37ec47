/*
 * status_llm — the LLM analysis's part of `freshetctl status` (README "LLM analysis"):
 * rows analysed, waiting and failed (payload.llm_error) for the source, and the calls
 * and tokens paid today (UTC), from PostgreSQL, so every processor's share is counted.
 */
#include <stdlib.h>

#include "ctl/status.h"

static json_int_t col(PGresult *res, int c)
{
    return PQgetisnull(res, 0, c) ? 0 : (json_int_t)atoll(PQgetvalue(res, 0, c));
}

int status_gather_llm(struct status_ctx *c, json_t *st, struct fr_error *err)
{
    const char *params[1] = {c->source};
    PGresult *rows, *today;

    if (fr_db_query(c->db,
                    "SELECT count(*) FILTER (WHERE llm_done = llm_want AND payload ? 'llm'"
                    "                          AND NOT payload ? 'llm_error'),"
                    "       count(*) FILTER (WHERE llm_want IS DISTINCT FROM llm_done),"
                    "       count(*) FILTER (WHERE payload ? 'llm_error')"
                    " FROM items WHERE source = $1 AND llm_want IS NOT NULL",
                    1, params, &rows, err) != 0)
        return err->code;
    if (fr_db_query(c->db,
                    "SELECT requests, prompt_tokens, completion_tokens FROM llm_usage"
                    " WHERE source = $1 AND day = (now() AT TIME ZONE 'UTC')::date",
                    1, params, &today, err) != 0) {
        PQclear(rows);
        return err->code;
    }
    if (col(rows, 0) + col(rows, 1) + col(rows, 2) == 0 && PQntuples(today) == 0)
        json_object_set_new(st, "llm", json_null());
    else
        json_object_set_new(
            st, "llm",
            json_pack("{s:I,s:I,s:I,s:{s:I,s:I,s:I}}", "analysed", col(rows, 0), "waiting",
                      col(rows, 1), "failed", col(rows, 2), "today", "requests",
                      PQntuples(today) ? col(today, 0) : 0, "prompt_tokens",
                      PQntuples(today) ? col(today, 1) : 0, "completion_tokens",
                      PQntuples(today) ? col(today, 2) : 0));
    PQclear(rows);
    PQclear(today);
    return 0;
}

void status_print_llm(const json_t *st, FILE *f)
{
    const json_t *l = json_object_get(st, "llm"), *t;

    if (!json_is_object(l))
        return;
    t = json_object_get(l, "today");
    fprintf(f,
            "analysis   %lld analysed, %lld waiting, %lld failed (llm_error); today %lld calls, "
            "%lld prompt + %lld completion tokens\n",
            (long long)json_integer_value(json_object_get(l, "analysed")),
            (long long)json_integer_value(json_object_get(l, "waiting")),
            (long long)json_integer_value(json_object_get(l, "failed")),
            (long long)json_integer_value(json_object_get(t, "requests")),
            (long long)json_integer_value(json_object_get(t, "prompt_tokens")),
            (long long)json_integer_value(json_object_get(t, "completion_tokens")));
}
