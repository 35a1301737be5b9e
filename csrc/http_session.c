/* core.session(opts) -> session userdata; session:request(), :close().
 * See HACKING.md "HTTP" for the contract. */
#include <stdlib.h>
#include <string.h>

#include "http.h"

/* Frees everything the session holds; safe on a half-built session and
 * when called again (close, then __gc). */
static void session_cleanup(mistapi_session *s)
{
    int i;
    if (s->closed)
        return;
    s->closed = 1;
    mistapi_session_detach_all(s);
    for (i = 0; i < s->pool_len; i++)
        mistapi_xfer_free(s->pool[i]);
    free(s->pool);
    s->pool = NULL;
    s->pool_len = 0;
    if (s->multi != NULL)
        s->curl.multi_cleanup(s->multi);
    s->multi = NULL;
    if (s->share != NULL)
        s->curl.share_cleanup(s->share);
    s->share = NULL;
    mistapi_http_opts_free(&s->opts);
}

void mistapi_session_detach_all(mistapi_session *s)
{
    int i;
    for (i = 0; i < s->pool_len; i++) {
        if (s->pool[i]->attached) {
            s->curl.multi_remove_handle(s->multi, s->pool[i]->easy);
            s->pool[i]->attached = 0;
        }
    }
}

/* Calls fn on the whole stack (its nargs arguments) under lua_pcall with the
 * session busy; leaves nresults. An error first takes every handle off the
 * multi and clears busy, then propagates. */
void mistapi_session_guarded(lua_State *L, mistapi_session *s, lua_CFunction fn, int nargs,
                             int nresults)
{
    int status;
    s->busy = 1;
    lua_pushcfunction(L, fn);
    lua_insert(L, 1);
    status = lua_pcall(L, nargs, nresults, 0);
    s->busy = 0;
    mistapi_session_detach_all(s);
    /* __gc called from inside (a callback) waited for the handles to be free. */
    if (s->close_pending)
        session_cleanup(s);
    if (status != 0)
        lua_error(L);
}

/* Makes sure the pool holds at least n handles; -1 when out of memory. */
int mistapi_session_pool(mistapi_session *s, int n)
{
    mistapi_xfer **grown;
    if (n <= s->pool_len)
        return 0;
    grown = realloc(s->pool, (size_t)n * sizeof *grown);
    if (grown == NULL)
        return -1;
    s->pool = grown;
    while (s->pool_len < n) {
        mistapi_xfer *x = mistapi_xfer_new(&s->opts, s->share);
        if (x == NULL)
            return -1;
        s->pool[s->pool_len++] = x;
    }
    return 0;
}

mistapi_session *mistapi_session_check(lua_State *L, int idx)
{
    /* the methods hold the session metatable as their upvalue: no
     * registry lookup by name on each request */
    mistapi_session *s = lua_touserdata(L, idx);
    if (s != NULL && lua_getmetatable(L, idx) && lua_rawequal(L, -1, lua_upvalueindex(1)))
        lua_pop(L, 1);
    else
        s = luaL_checkudata(L, idx, MISTAPI_SESSION_MT);   /* raises with the usual message */
    if (s->closed)
        luaL_error(L, "session is closed");
    if (s->busy)
        luaL_error(L, "session is busy (used again from inside its own batch)");
    return s;
}

static int session_new(lua_State *L)
{
    mistapi_session *s;
    char why[256];
    lua_settop(L, 1);
    s = lua_newuserdatauv(L, sizeof *s, 0);
    memset(s, 0, sizeof *s);
    luaL_getmetatable(L, MISTAPI_SESSION_MT);
    lua_setmetatable(L, -2);
    /* Until libcurl is loaded s->closed keeps __gc from calling into it. */
    s->closed = 1;
    if (mistapi_curl_load(&s->curl, why, sizeof why) != 0)
        luaL_error(L, "%s", why);
    s->closed = 0;
    s->opts.curl = &s->curl;
    /* From here on __gc frees whatever got built, even if this raises. */
    mistapi_http_opts_read(L, 1, &s->opts);
    s->share = s->curl.share_init();
    if (s->share == NULL ||
        s->curl.share_setopt(s->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION) != CURLSHE_OK ||
        s->curl.share_setopt(s->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) != CURLSHE_OK)
        luaL_error(L, "cannot create a curl share handle (out of memory?)");
    s->multi = s->curl.multi_init();
    if (s->multi == NULL)
        luaL_error(L, "cannot create a curl multi handle (out of memory?)");
    if (mistapi_session_pool(s, 1) != 0)
        luaL_error(L, "cannot create a curl easy handle (out of memory?)");
    return 1;
}

/* Runs protected with the arguments of request(): (s, method, url, headers,
 * body, shape); returns status, headers, body, nil; status, headers, nil,
 * object (a 2xx answer that is one object of the shape's model); or nil,
 * info, nil, nil. */
static int request_run(lua_State *L)
{
    mistapi_session *s = lua_touserdata(L, 1);
    int method = luaL_checkoption(L, 2, NULL, mistapi_methods);
    const char *url = lua_tostring(L, 3);
    size_t body_len = 0;
    const char *body = lua_isnil(L, 5) ? NULL : lua_tolstring(L, 5, &body_len);
    mistapi_xfer *x = s->pool[0];
    CURLcode rc = CURLE_OK;
    if (mistapi_xfer_prepare(L, x, method, url, 4, body, body_len) != 0)
        luaL_error(L, "cannot prepare the request (out of memory?)");
    mistapi_multi_start(L, s, x);
    mistapi_multi_next_done(L, s, &rc);
    if (!mistapi_xfer_succeeded(x, rc)) {
        lua_pushnil(L);
        mistapi_push_failure(L, x, rc, url, 4);
        lua_pushnil(L);
        lua_pushnil(L);
    } else if (lua_isstring(L, 6) && mistapi_push_decoded(L, x, lua_tostring(L, 6))) {
        /* decoded from curl's buffer: no body string is made */
    } else {
        mistapi_push_response_values(L, x);
        lua_pushnil(L);
    }
    mistapi_xfer_release(x);
    return 4;
}

/* session:request(method, url [, headers [, body [, shape]]]) -> status,
 * headers, body, object | nil, info. With a shape (a model's one shape,
 * "token"), a 2xx answer that is one object of it comes decoded, as
 * core.decode(body, shape) would make it, and without its body. */
static int session_request(lua_State *L)
{
    mistapi_session *s = mistapi_session_check(L, 1);
    size_t len;
    const char *url;
    int shaped;
    luaL_checkoption(L, 2, NULL, mistapi_methods);
    url = luaL_checklstring(L, 3, &len);
    luaL_argcheck(L, strlen(url) == len, 3, "URL contains NUL");
    if (!lua_isnoneornil(L, 4))
        luaL_checktype(L, 4, LUA_TTABLE);
    /* the headers are checked as the request's list is made (mistapi_headers_slist) */
    luaL_optlstring(L, 5, NULL, NULL);
    luaL_optstring(L, 6, NULL);
    lua_settop(L, 6);

    /* Protected, so an error leaves no handle in the multi and no busy flag. */
    shaped = !lua_isnil(L, 6);
    mistapi_session_guarded(L, s, request_run, 6, 4);
    if (lua_isnil(L, -4)) {
        lua_pop(L, 2);
        return 2;
    }
    /* without a shape, the three values request() always gave */
    if (!shaped) {
        lua_pop(L, 1);
        return 3;
    }
    return 4;
}

static int session_close(lua_State *L)
{
    mistapi_session *s = luaL_checkudata(L, 1, MISTAPI_SESSION_MT);
    if (s->busy)
        luaL_error(L, "session is busy: it cannot be closed during its own batch");
    session_cleanup(s);
    return 0;
}

/* The collector never calls this while busy (the running call holds the
 * session), but Lua code can: then the handles the call still uses stay
 * until it returns, and are freed right after. */
static int session_gc(lua_State *L)
{
    mistapi_session *s = luaL_checkudata(L, 1, MISTAPI_SESSION_MT);
    if (s->busy)
        s->close_pending = 1;
    else
        session_cleanup(s);
    return 0;
}

static int session_tostring(lua_State *L)
{
    mistapi_session *s = luaL_checkudata(L, 1, MISTAPI_SESSION_MT);
    lua_pushfstring(L, "%s: %p%s", MISTAPI_SESSION_MT, (void *)s, s->closed ? " (closed)" : "");
    return 1;
}

/* core.curl_version() -> "7.88.1", "libcurl/7.88.1 OpenSSL/..." */
static int http_curl_version(lua_State *L)
{
    mistapi_curl curl;
    char why[256];
    if (mistapi_curl_load(&curl, why, sizeof why) != 0)
        luaL_error(L, "%s", why);
    lua_pushstring(L, curl.version_info(CURLVERSION_NOW)->version);
    lua_pushstring(L, curl.version());
    return 2;
}

static const luaL_Reg session_methods[] = {
    { "request", session_request },
    { "batch", mistapi_session_batch },
    { "close", session_close },
    { NULL, NULL },
};

static const luaL_Reg session_meta[] = {
    { "__gc", session_gc },
    { "__close", session_close },
    { "__tostring", session_tostring },
    { NULL, NULL },
};

void mistapi_register_http(lua_State *L)
{
    /* libcurl is loaded by the first session or core.curl_version(), not here. */
    if (luaL_newmetatable(L, MISTAPI_SESSION_MT)) {
        luaL_setfuncs(L, session_meta, 0);
        lua_pushliteral(L, MISTAPI_SESSION_MT);
        lua_setfield(L, -2, "__name");
        lua_newtable(L);
        lua_pushvalue(L, -2);   /* mistapi_session_check's upvalue */
        luaL_setfuncs(L, session_methods, 1);
        lua_setfield(L, -2, "__index");
    }
    lua_pop(L, 1);
    lua_pushcfunction(L, session_new);
    lua_setfield(L, -2, "session");
    lua_pushcfunction(L, http_curl_version);
    lua_setfield(L, -2, "curl_version");
    lua_pushcfunction(L, mistapi_headers_parse);
    lua_setfield(L, -2, "headers");
}
