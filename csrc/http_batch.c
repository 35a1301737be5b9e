/* session:batch(requests, concurrency [, ready [, done]]): up to `concurrency`
 * transfers at once over the session's multi handle and pooled easy
 * handles; results in input order, each item { status, headers, body } or
 * { err = info }. With `ready`, request i goes out only when ready(i),
 * called just before it would start, returns its headers; when it returns
 * false its result is { skipped = true } and nothing is sent (the client's
 * call budget is taken as each transfer starts, not all at the outset).
 * With `done`, done(i, result) hears of each transfer as it ends (a 429
 * holds the budget before the next starts). */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "http.h"

/* Pushes field `name` of the table at t, or its positional twin. */
static void get_field(lua_State *L, int t, const char *name, int pos)
{
    lua_getfield(L, t, name);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        lua_rawgeti(L, t, pos);
    }
}

static int method_index(const char *m)
{
    int i;
    for (i = 0; mistapi_methods[i] != NULL; i++)
        if (strcmp(m, mistapi_methods[i]) == 0)
            return i;
    return -1;
}

/* Pushes a copy of the checked headers table at h, made by raw reads:
 * values become strings, and a caller's table can't change what is sent. */
static void push_headers_copy(lua_State *L, int h)
{
    lua_newtable(L);
    lua_pushnil(L);
    while (lua_next(L, h) != 0) {
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_tostring(L, -1);
        lua_rawset(L, -4);
    }
}

/* The request of requests[i], read once, into a table of our own:
 * { method index, url, headers (a copy, values as strings), body }. A
 * caller's __index may answer differently at each read; that never
 * reaches what is sent or what a result is made from. Raises on a bad
 * item (before anything is sent). Pushes the copy. */
static void snapshot_item(lua_State *L, int reqs, int i)
{
    char what[48];
    int top = lua_gettop(L);
    int t, m, h;
    size_t len;
    const char *s;
    lua_rawgeti(L, reqs, i);
    if (lua_type(L, -1) != LUA_TTABLE)
        luaL_error(L, "requests[%d] must be a table { method, url, headers, body }", i);
    t = lua_gettop(L);
    lua_createtable(L, 4, 0);
    get_field(L, t, "method", 1);
    m = lua_type(L, -1) == LUA_TSTRING ? method_index(lua_tostring(L, -1)) : -1;
    if (m < 0)
        luaL_error(L, "requests[%d].method must be one of GET, POST, PUT, DELETE, PATCH, HEAD, OPTIONS", i);
    lua_pop(L, 1);
    lua_pushinteger(L, m);
    lua_rawseti(L, t + 1, 1);
    get_field(L, t, "url", 2);
    s = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &len) : NULL;
    if (s == NULL || strlen(s) != len)
        luaL_error(L, "requests[%d].url must be a string without NUL", i);
    lua_rawseti(L, t + 1, 2);
    get_field(L, t, "headers", 3);
    h = lua_gettop(L);
    snprintf(what, sizeof what, "requests[%d].headers", i);
    mistapi_headers_check(L, h, what);
    if (lua_istable(L, h)) {
        push_headers_copy(L, h);
        lua_rawseti(L, t + 1, 3);
    }
    lua_settop(L, h - 1);
    get_field(L, t, "body", 4);
    if (!lua_isnil(L, -1) && lua_type(L, -1) != LUA_TSTRING)
        luaL_error(L, "requests[%d].body must be a string or nil", i);
    lua_rawseti(L, t + 1, 4);
    lua_replace(L, t);
    lua_settop(L, top + 1);
}

/* ready(i) (at index READY) says whether copy[i] goes out now: its headers
 * replace the copy's, checked and copied as snapshot_item does. Returns 0
 * when it says false or nil. */
enum { READY = 4, DONE = 5, RESULTS = 6 };
static int ask_ready(lua_State *L, int i)
{
    char what[40];
    int h;
    lua_pushvalue(L, READY);
    lua_pushinteger(L, i);
    lua_call(L, 1, 1);
    h = lua_gettop(L);
    if (lua_isnil(L, h) || (lua_isboolean(L, h) && !lua_toboolean(L, h))) {
        lua_pop(L, 1);
        return 0;
    }
    snprintf(what, sizeof what, "ready(%d)", i);
    mistapi_headers_check(L, h, what);
    push_headers_copy(L, h);
    lua_rawgeti(L, 2, i);
    lua_insert(L, -2);
    lua_rawseti(L, -2, 3);
    lua_settop(L, h - 1);
    return 1;
}

/* Prepares x for copy[i] (see snapshot_item) and adds it to the multi handle. */
static void start_item(lua_State *L, mistapi_session *s, mistapi_xfer *x, int i)
{
    int top = lua_gettop(L);
    int t;
    size_t body_len = 0;
    const char *url, *body;
    int method;
    lua_rawgeti(L, 2, i);
    t = lua_gettop(L);
    lua_rawgeti(L, t, 1);
    method = (int)lua_tointeger(L, -1);
    lua_rawgeti(L, t, 2);
    url = lua_tostring(L, -1);
    lua_rawgeti(L, t, 3);
    lua_rawgeti(L, t, 4);
    body = lua_isnil(L, -1) ? NULL : lua_tolstring(L, -1, &body_len);
    if (mistapi_xfer_prepare(L, x, method, url, t + 3, body, body_len) != 0)
        luaL_error(L, "cannot prepare requests[%d] (out of memory?)", i);
    x->index = i;
    mistapi_multi_start(L, s, x);
    lua_settop(L, top);
}

/* results[x->index] = { status, headers, body } or { err = info }; both
 * tables are the batch's own, out of the caller's reach. */
static void store_result(lua_State *L, mistapi_xfer *x, CURLcode rc, int results)
{
    int top = lua_gettop(L);
    if (mistapi_xfer_succeeded(x, rc)) {
        mistapi_push_response(L, x);
    } else {
        int t;
        lua_rawgeti(L, 2, x->index);
        t = lua_gettop(L);
        lua_rawgeti(L, t, 2);
        lua_rawgeti(L, t, 3);
        lua_createtable(L, 0, 1);
        mistapi_push_failure(L, x, rc, lua_tostring(L, t + 1), t + 2);
        lua_setfield(L, -2, "err");
    }
    lua_rawseti(L, results, x->index);
    lua_settop(L, top);
    mistapi_xfer_release(x);
}

/* Starts the next item that is ready on x: true, or false when none is
 * left. Items ready(i) holds back are answered { skipped = true }. */
static int start_next(lua_State *L, mistapi_session *s, mistapi_xfer *x, int *next, int total)
{
    while (*next <= total) {
        int i = (*next)++;
        if (lua_isnil(L, READY) || ask_ready(L, i)) {
            start_item(L, s, x, i);
            return 1;
        }
        lua_createtable(L, 0, 1);
        lua_pushboolean(L, 1);
        lua_setfield(L, -2, "skipped");
        lua_rawseti(L, RESULTS, i);
    }
    return 0;
}

/* Runs protected with (s, requests, concurrency, ready, done). */
static int batch_run(lua_State *L)
{
    mistapi_session *s = lua_touserdata(L, 1);
    int total = (int)lua_rawlen(L, 2);   /* the batch's own copy: fixed */
    int concurrency = (int)lua_tointeger(L, 3);
    int next = 1, active = 0, k;
    lua_settop(L, DONE);
    lua_createtable(L, total, 0);
    if (total == 0)
        return 1;
    if (concurrency > total)
        concurrency = total;
    if (mistapi_session_pool(s, concurrency) != 0)
        luaL_error(L, "cannot create curl easy handles (out of memory?)");
    for (k = 0; k < concurrency && start_next(L, s, s->pool[k], &next, total); k++)
        active++;
    while (active > 0) {
        CURLcode rc = CURLE_OK;
        mistapi_xfer *x = mistapi_multi_next_done(L, s, &rc);
        int i = x->index;
        active--;
        store_result(L, x, rc, RESULTS);
        if (!lua_isnil(L, DONE)) {
            lua_pushvalue(L, DONE);
            lua_pushinteger(L, i);
            lua_rawgeti(L, RESULTS, i);
            lua_call(L, 2, 0);
        }
        if (start_next(L, s, x, &next, total))
            active++;
    }
    return 1;
}

int mistapi_session_batch(lua_State *L)
{
    mistapi_session *s = mistapi_session_check(L, 1);
    lua_Integer concurrency;
    int total, i;
    luaL_checktype(L, 2, LUA_TTABLE);
    concurrency = luaL_checkinteger(L, 3);
    if (!lua_isnoneornil(L, 4))
        luaL_checktype(L, 4, LUA_TFUNCTION);
    if (!lua_isnoneornil(L, 5))
        luaL_checktype(L, 5, LUA_TFUNCTION);
    /* its upper bound is the Lua layer's (mistapi.config); the pool grows
     * to at most the number of requests */
    luaL_argcheck(L, concurrency >= 1 && concurrency <= INT_MAX, 3,
                  "concurrency must be a whole number from 1");
    lua_settop(L, 5);
    luaL_argcheck(L, lua_rawlen(L, 2) <= 1000000, 2, "at most 1000000 requests");
    total = (int)lua_rawlen(L, 2);
    /* Each item read once, into the batch's own copy; misuse raises before
     * anything is sent. The copy stands in for requests from here on. */
    lua_createtable(L, total, 0);
    for (i = 1; i <= total; i++) {
        snapshot_item(L, 2, i);
        lua_rawseti(L, 6, i);
    }
    lua_replace(L, 2);

    /* Protected, so an error first takes every handle off the multi, then
     * propagates. */
    mistapi_session_guarded(L, s, batch_run, 5, 1);
    return 1;
}
