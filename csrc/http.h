/* Internal declarations shared by the http_*.c files (libcurl layer of the
 * core). Nothing here leaves the .so. */
#ifndef MISTAPI_HTTP_H
#define MISTAPI_HTTP_H

#include <stddef.h>
#include <curl/curl.h>

#include "core.h"
#include "curl_api.h"

#define MISTAPI_SESSION_MT        "mistapi.core.session"
/* No defaults of the client's here (timeouts, body cap, concurrency, the
 * User-Agent): mistapi.config holds them and the Lua layer passes them. */
#define MISTAPI_MAX_HEADER_BYTES  ((size_t)256 * 1024)
/* Longest single wait in curl_multi_poll; transfers end by their own timeouts. */
#define MISTAPI_POLL_MS           1000

/* A growing byte buffer. */
typedef struct mistapi_buf {
    char *data;
    size_t len;
    size_t cap;
} mistapi_buf;

MISTAPI_LOCAL int mistapi_buf_append(mistapi_buf *b, const char *p, size_t n); /* 0 or -1 (no memory) */
MISTAPI_LOCAL void mistapi_buf_reset(mistapi_buf *b);
MISTAPI_LOCAL void mistapi_buf_free(mistapi_buf *b);

/* Session options, read once by core.session(opts). */
typedef struct mistapi_http_opts {
    long timeout_ms;              /* 0: none (libcurl's default) */
    long connect_timeout_ms;      /* 0: libcurl's default */
    size_t max_body;              /* SIZE_MAX: no cap */
    int allow_http;
    int raw_headers;              /* answers carry the header block as a string */
    int no_env_proxy;             /* ignore http_proxy & co. (plain http to loopback) */
    char *ca_file;
    char *ca_path;
    char *proxy;
    char *user_agent;             /* the whole line, "User-Agent: <value>" */
    struct curl_slist *connect_headers;  /* that line alone, for a proxy's CONNECT */
    const mistapi_curl *curl;     /* the session's libcurl entry points */
} mistapi_http_opts;

MISTAPI_LOCAL void mistapi_http_opts_read(lua_State *L, int idx, mistapi_http_opts *o);
MISTAPI_LOCAL void mistapi_http_opts_free(mistapi_http_opts *o);
MISTAPI_LOCAL CURLcode mistapi_http_opts_apply(const mistapi_http_opts *o, CURL *easy);

/* Why a callback stopped a transfer. */
enum { XFER_OK = 0, XFER_BODY_TOO_BIG, XFER_HEADERS_TOO_BIG, XFER_NO_MEMORY };

enum { METHOD_GET = 0, METHOD_POST, METHOD_PUT, METHOD_DELETE, METHOD_PATCH, METHOD_HEAD, METHOD_OPTIONS };
MISTAPI_LOCAL extern const char *const mistapi_methods[];

/* One easy handle and what it collects. Allocated on its own so the
 * pointers handed to curl (errbuf, callback data) never move. */
typedef struct mistapi_xfer {
    CURL *easy;
    const mistapi_http_opts *opts;
    mistapi_buf body;
    mistapi_buf headers;          /* raw header lines of the last response */
    struct curl_slist *req_headers;
    int failure;                  /* XFER_* */
    int headers_done;             /* the blank line after the last headers came */
    int attached;                 /* currently in the multi handle */
    int index;                    /* batch: 1-based position in the input */
    int sticky;                   /* the method options as the last request without a body
                                     left them (STICKY_OF), so the next such one sets only
                                     its URL; 0: unknown, set them all */
    int headers_set;              /* req_headers is the list CURLOPT_HTTPHEADER holds */
    char errbuf[CURL_ERROR_SIZE];
} mistapi_xfer;

MISTAPI_LOCAL mistapi_xfer *mistapi_xfer_new(const mistapi_http_opts *o, CURLSH *share);
MISTAPI_LOCAL void mistapi_xfer_free(mistapi_xfer *x);
MISTAPI_LOCAL void mistapi_xfer_release(mistapi_xfer *x);
MISTAPI_LOCAL int mistapi_xfer_prepare(lua_State *L, mistapi_xfer *x, int method, const char *url,
                                       int headers_idx, const char *body, size_t body_len);

/* Response and request headers (http_headers.c). */
MISTAPI_LOCAL size_t mistapi_on_header(char *p, size_t size, size_t n, void *ud);
MISTAPI_LOCAL void mistapi_headers_push(lua_State *L, const mistapi_buf *raw);
MISTAPI_LOCAL int mistapi_headers_parse(lua_State *L);  /* core.headers(raw) */
MISTAPI_LOCAL void mistapi_headers_check(lua_State *L, int idx, const char *what);
/* Whether the lines of the table at idx (checked as mistapi_headers_slist
 * does) are list's first lines, in lua_next's order; *rest: the line after
 * them. *names_ua, *names_ct: whether the table names a User-Agent, a
 * Content-Type. */
MISTAPI_LOCAL int mistapi_headers_same(lua_State *L, int idx, const struct curl_slist *list,
                                       const struct curl_slist **rest, int *names_ua, int *names_ct);
MISTAPI_LOCAL int mistapi_headers_slist(lua_State *L, const mistapi_curl *curl, int idx,
                                       struct curl_slist **out);

/* Results (http_result.c). */
MISTAPI_LOCAL int mistapi_xfer_succeeded(const mistapi_xfer *x, CURLcode rc);
MISTAPI_LOCAL int mistapi_push_decoded(lua_State *L, mistapi_xfer *x, const char *shape);
MISTAPI_LOCAL void mistapi_push_response_values(lua_State *L, mistapi_xfer *x);
MISTAPI_LOCAL void mistapi_push_response(lua_State *L, mistapi_xfer *x);
MISTAPI_LOCAL void mistapi_push_failure(lua_State *L, mistapi_xfer *x, CURLcode rc,
                                        const char *url, int headers_idx);
/* Error mapping (http_errors.c). */
MISTAPI_LOCAL int mistapi_never_reached(const mistapi_curl *curl, CURL *easy, CURLcode rc);
/* A failure's text: curl's error buffer and room for the words around it. */
#define MISTAPI_FAILURE_TEXT (CURL_ERROR_SIZE + 128)
MISTAPI_LOCAL void mistapi_redact(char *msg, size_t size, const char *secret, size_t n);
MISTAPI_LOCAL void mistapi_redact_url(char *msg, size_t size, const char *url);

/* The session userdata. */
typedef struct mistapi_session {
    mistapi_curl curl;            /* libcurl, loaded by the first session */
    mistapi_http_opts opts;
    CURLM *multi;                 /* owns the connection and DNS caches */
    CURLSH *share;                /* TLS sessions across the pooled handles */
    mistapi_xfer **pool;          /* pool[0] serves request(); batch uses the first n */
    int pool_len;
    int busy;                     /* inside request() or batch(): handles in use */
    int close_pending;            /* __gc called while busy: free once not busy */
    int closed;
} mistapi_session;

MISTAPI_LOCAL mistapi_session *mistapi_session_check(lua_State *L, int idx);
MISTAPI_LOCAL int mistapi_session_pool(mistapi_session *s, int n);
MISTAPI_LOCAL void mistapi_session_detach_all(mistapi_session *s);
MISTAPI_LOCAL void mistapi_session_guarded(lua_State *L, mistapi_session *s, lua_CFunction fn,
                                           int nargs, int nresults);
MISTAPI_LOCAL mistapi_xfer *mistapi_multi_next_done(lua_State *L, mistapi_session *s, CURLcode *rc);
MISTAPI_LOCAL void mistapi_multi_start(lua_State *L, mistapi_session *s, mistapi_xfer *x);
MISTAPI_LOCAL int mistapi_session_batch(lua_State *L);

#endif
