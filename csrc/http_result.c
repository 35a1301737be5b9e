/* Turning a finished transfer into Lua values: a response table, or the
 * error info table { kind, message, code, reached, body }. */
#include <stdio.h>
#include <string.h>

#include "http.h"
#include "json.h"

int mistapi_xfer_succeeded(const mistapi_xfer *x, CURLcode rc)
{
    return rc == CURLE_OK && x->failure == XFER_OK;
}

/* Three values: status (integer), headers (a table, or with the session's
 * raw_headers the header block as a string, for core.headers to make a
 * table of when it is read: most callers never read it), body (string). */
void mistapi_push_response_values(lua_State *L, mistapi_xfer *x)
{
    long status = 0;
    x->opts->curl->easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
    lua_pushinteger(L, (lua_Integer)status);
    if (x->opts->raw_headers)
        lua_pushlstring(L, x->headers.data != NULL ? x->headers.data : "", x->headers.len);
    else
        mistapi_headers_push(L, &x->headers);
    lua_pushlstring(L, x->body.data != NULL ? x->body.data : "", x->body.len);
}

/* With a 2xx answer that is one object of the shape's model: status,
 * headers (as mistapi_push_response_values), nil (no body string) and the
 * object; returns 1. Otherwise pushes nothing and returns 0. */
int mistapi_push_decoded(lua_State *L, mistapi_xfer *x, const char *shape)
{
    long status = 0;
    x->opts->curl->easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
    if (status < 200 || status > 299 || x->body.data == NULL)
        return 0;
    if (!mistapi_decode_object(L, x->body.data, x->body.len, shape))
        return 0;
    lua_pushinteger(L, (lua_Integer)status);
    if (x->opts->raw_headers)
        lua_pushlstring(L, x->headers.data != NULL ? x->headers.data : "", x->headers.len);
    else
        mistapi_headers_push(L, &x->headers);
    lua_pushnil(L);
    lua_pushvalue(L, -4);   /* the object last */
    lua_remove(L, -5);
    return 1;
}

/* { status = <integer>, headers = {...} | raw_headers = <string>, body = <string> } */
void mistapi_push_response(lua_State *L, mistapi_xfer *x)
{
    lua_createtable(L, 0, 3);
    mistapi_push_response_values(L, x);
    lua_setfield(L, -4, "body");
    lua_setfield(L, -3, x->opts->raw_headers ? "raw_headers" : "headers");
    lua_setfield(L, -2, "status");
}

static void trim_newline(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = '\0';
}

/* The failure's text, with the URL's and the proxy's userinfo and every
 * request header value cut out (curl's own texts name hosts, not
 * credentials, but this keeps it so whatever curl says). */
static void failure_message(lua_State *L, mistapi_xfer *x, CURLcode rc, const char *url,
                            int headers_idx, char *msg, size_t size)
{
    if (x->failure == XFER_BODY_TOO_BIG || rc == CURLE_FILESIZE_EXCEEDED)
        snprintf(msg, size, "response body exceeds max_body (%lu bytes)",
                 (unsigned long)x->opts->max_body);
    else if (x->failure == XFER_HEADERS_TOO_BIG)
        snprintf(msg, size, "response headers exceed %lu bytes",
                 (unsigned long)MISTAPI_MAX_HEADER_BYTES);
    else if (rc == CURLE_OUT_OF_MEMORY && x->failure == XFER_OK && !x->headers_done)
        /* libcurl refuses one header line over 100 KiB with a bare "Out of memory". */
        snprintf(msg, size, "response header too large (libcurl takes at most %d bytes a line)",
                 CURL_MAX_HTTP_HEADER);
    else if (x->failure == XFER_NO_MEMORY)
        snprintf(msg, size, "out of memory while reading the response");
    else if (x->errbuf[0] != '\0')
        snprintf(msg, size, "%s", x->errbuf);
    else
        snprintf(msg, size, "%s", x->opts->curl->easy_strerror(rc));
    trim_newline(msg);
    mistapi_redact_url(msg, size, url);
    mistapi_redact_url(msg, size, x->opts->proxy);
    if (lua_type(L, headers_idx) == LUA_TTABLE) {
        lua_pushnil(L);
        while (lua_next(L, headers_idx) != 0) {
            size_t vlen;
            const char *v;
            lua_pushvalue(L, -1);
            v = lua_tolstring(L, -1, &vlen);
            if (v != NULL)
                mistapi_redact(msg, size, v, vlen);
            lua_pop(L, 2);
        }
    }
}

void mistapi_push_failure(lua_State *L, mistapi_xfer *x, CURLcode rc, const char *url,
                          int headers_idx)
{
    char msg[MISTAPI_FAILURE_TEXT];
    /* A body cap hit shows up as a write error: report it as the cap. */
    CURLcode code = rc == CURLE_OK ? CURLE_WRITE_ERROR : rc;
    failure_message(L, x, code, url, headers_idx, msg, sizeof msg);
    lua_createtable(L, 0, 5);
    lua_pushstring(L, code == CURLE_OPERATION_TIMEDOUT ? "timeout" : "transport");
    lua_setfield(L, -2, "kind");
    lua_pushstring(L, msg);
    lua_setfield(L, -2, "message");
    lua_pushinteger(L, (lua_Integer)code);
    lua_setfield(L, -2, "code");
    lua_pushboolean(L, !mistapi_never_reached(x->opts->curl, x->easy, code));
    lua_setfield(L, -2, "reached");
    if (x->body.len > 0) {
        lua_pushlstring(L, x->body.data, x->body.len);
        lua_setfield(L, -2, "body");
    }
}
