/* Session options: read from the Lua table once, applied to every easy
 * handle the session creates. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

/* Seconds (fractional allowed) to whole milliseconds, at least 1; 0 when
 * absent (libcurl's own default). */
static long read_seconds(lua_State *L, int idx, const char *name)
{
    double s;
    lua_getfield(L, idx, name);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        return 0;
    }
    if (lua_type(L, -1) != LUA_TNUMBER)
        luaL_error(L, "session option %s must be a number of seconds", name);
    s = (double)lua_tonumber(L, -1);
    if (!(s > 0 && s <= 86400 * 7))
        luaL_error(L, "session option %s must be within (0, 604800] seconds", name);
    lua_pop(L, 1);
    s = ceil(s * 1000.0);
    return s < 1 ? 1 : (long)s;
}

/* A malloc'd copy of a string option, NULL when absent. */
static char *read_string(lua_State *L, int idx, const char *name)
{
    size_t len;
    const char *v;
    char *copy;
    lua_getfield(L, idx, name);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        return NULL;
    }
    if (lua_type(L, -1) != LUA_TSTRING)
        luaL_error(L, "session option %s must be a string", name);
    v = lua_tolstring(L, -1, &len);
    if (len == 0 || strlen(v) != len)
        luaL_error(L, "session option %s must be a non-empty string without NUL", name);
    copy = malloc(len + 1);
    if (copy == NULL)
        luaL_error(L, "out of memory");
    memcpy(copy, v, len + 1);
    lua_pop(L, 1);
    return copy;
}

static int has_prefix(const char *s, const char *prefix)
{
    size_t n = strlen(prefix);
    size_t i;
    for (i = 0; i < n; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != prefix[i])
            return 0;
    }
    return 1;
}

static int has_control(const char *s)
{
    for (; *s != '\0'; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
            return 1;
    return 0;
}

static void check_proxy(lua_State *L, const char *proxy)
{
    if (proxy == NULL)
        return;
    if (has_prefix(proxy, "http://") || has_prefix(proxy, "https://") ||
        has_prefix(proxy, "socks5://") || has_prefix(proxy, "socks5h://"))
        return;
    /* The value may hold credentials: never echo it. */
    luaL_error(L, "session option proxy must be an http://, https://, socks5:// or socks5h:// URL");
}

/* Fills o (which the caller zeroed and will free even if this raises). An
 * option left out is libcurl's default (no cap for max_body): the client's
 * defaults are mistapi.config's, which the Lua layer always passes. */
void mistapi_http_opts_read(lua_State *L, int idx, mistapi_http_opts *o)
{
    o->max_body = SIZE_MAX;
    o->allow_http = 0;
    if (lua_isnoneornil(L, idx))
        return;
    luaL_checktype(L, idx, LUA_TTABLE);
    o->timeout_ms = read_seconds(L, idx, "timeout");
    o->connect_timeout_ms = read_seconds(L, idx, "connect_timeout");

    lua_getfield(L, idx, "max_body");
    if (!lua_isnil(L, -1)) {
        double n;
        if (lua_type(L, -1) != LUA_TNUMBER)
            luaL_error(L, "session option max_body must be a number of bytes");
        n = (double)lua_tonumber(L, -1);
        if (!(n >= 1 && n <= 9007199254740992.0) || floor(n) != n)
            luaL_error(L, "session option max_body must be a positive whole number of bytes");
        o->max_body = (size_t)n;
    }
    lua_pop(L, 1);

    lua_getfield(L, idx, "allow_http");
    if (!lua_isnil(L, -1) && lua_type(L, -1) != LUA_TBOOLEAN)
        luaL_error(L, "session option allow_http must be a boolean");
    o->allow_http = lua_toboolean(L, -1);
    lua_pop(L, 1);

    lua_getfield(L, idx, "raw_headers");
    if (!lua_isnil(L, -1) && lua_type(L, -1) != LUA_TBOOLEAN)
        luaL_error(L, "session option raw_headers must be a boolean");
    o->raw_headers = lua_toboolean(L, -1);
    lua_pop(L, 1);

    lua_getfield(L, idx, "no_env_proxy");
    if (!lua_isnil(L, -1) && lua_type(L, -1) != LUA_TBOOLEAN)
        luaL_error(L, "session option no_env_proxy must be a boolean");
    o->no_env_proxy = lua_toboolean(L, -1);
    lua_pop(L, 1);

    o->ca_file = read_string(L, idx, "ca_file");
    o->ca_path = read_string(L, idx, "ca_path");
    o->user_agent = read_string(L, idx, "user_agent");
    /* sent as a header line: CR or LF would add headers of its own */
    if (o->user_agent != NULL && has_control(o->user_agent))
        luaL_error(L, "session option user_agent must have no control characters");
    if (o->user_agent != NULL) {
        /* Kept as the header line every request's list ends with: libcurl
         * formats CURLOPT_USERAGENT into a line of its own each request and
         * then copies it again (about 5,000 instructions a call); a line of
         * the list is written once. A proxy's CONNECT gets it from its own
         * list, as CURLOPT_USERAGENT would send it there. */
        static const char prefix[] = "User-Agent: ";
        size_t n = strlen(o->user_agent);
        char *line = malloc(sizeof prefix + n);
        if (line == NULL)
            luaL_error(L, "out of memory");
        memcpy(line, prefix, sizeof prefix - 1);
        memcpy(line + sizeof prefix - 1, o->user_agent, n + 1);
        free(o->user_agent);
        o->user_agent = line;
        o->connect_headers = o->curl->slist_append(NULL, line);
        if (o->connect_headers == NULL)
            luaL_error(L, "out of memory");
    }
    o->proxy = read_string(L, idx, "proxy");
    check_proxy(L, o->proxy);
    if (o->proxy != NULL && has_control(o->proxy))
        luaL_error(L, "session option proxy must have no control characters");
}

void mistapi_http_opts_free(mistapi_http_opts *o)
{
    free(o->ca_file);
    free(o->ca_path);
    free(o->proxy);
    free(o->user_agent);
    o->ca_file = o->ca_path = o->proxy = o->user_agent = NULL;
    if (o->connect_headers != NULL)
        o->curl->slist_free_all(o->connect_headers);
    o->connect_headers = NULL;
}

/* The options every request of the session shares. */
CURLcode mistapi_http_opts_apply(const mistapi_http_opts *o, CURL *e)
{
    const char *protocols = o->allow_http ? "http,https" : "https";
    CURLcode rc = CURLE_OK;

#define SET(opt, val) do { if (rc == CURLE_OK) rc = o->curl->easy_setopt(e, opt, val); } while (0)
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_TIMEOUT_MS, o->timeout_ms);
    SET(CURLOPT_CONNECTTIMEOUT_MS, o->connect_timeout_ms);
    /* Redirects are never followed, so the Authorization header stays home. */
    SET(CURLOPT_FOLLOWLOCATION, 0L);
    SET(CURLOPT_PROTOCOLS_STR, protocols);
    SET(CURLOPT_REDIR_PROTOCOLS_STR, protocols);
    SET(CURLOPT_SSL_VERIFYPEER, 1L);
    SET(CURLOPT_SSL_VERIFYHOST, 2L);
    SET(CURLOPT_PROXY_SSL_VERIFYPEER, 1L);
    SET(CURLOPT_PROXY_SSL_VERIFYHOST, 2L);
    if (o->ca_file != NULL) {
        SET(CURLOPT_CAINFO, o->ca_file);
        SET(CURLOPT_PROXY_CAINFO, o->ca_file);
    }
    if (o->ca_path != NULL) {
        SET(CURLOPT_CAPATH, o->ca_path);
        SET(CURLOPT_PROXY_CAPATH, o->ca_path);
    }
    if (o->proxy != NULL) {
        SET(CURLOPT_PROXY, o->proxy);
    } else if (o->no_env_proxy) {
        /* "" turns off the proxy variables of the environment, NOPROXY "*"
         * their no_proxy too: the request goes straight to its host. */
        SET(CURLOPT_PROXY, "");
        SET(CURLOPT_NOPROXY, "*");
    }
    /* Proxy CONNECT answers are not the server's headers. */
    SET(CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
    /* The Lua layer names the client (mistapi.config); else none is sent.
     * The line itself goes in each request's header list (mistapi_xfer_prepare). */
    SET(CURLOPT_ACCEPT_ENCODING, "");
    SET(CURLOPT_TCP_KEEPALIVE, 1L);
    if (o->max_body != SIZE_MAX)
        SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)o->max_body);
#undef SET
    return rc;
}
