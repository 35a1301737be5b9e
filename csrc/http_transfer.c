/* One easy handle: created once with the session options, then prepared
 * for each request so that nothing of one request leaks into the next. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http.h"

const char *const mistapi_methods[] = { "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", NULL };

/* Write callback: the body, capped at max_body. Returning less than given
 * makes curl abort the transfer with CURLE_WRITE_ERROR. */
static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    mistapi_xfer *x = ud;
    size_t len = size * n;
    if (len > x->opts->max_body - x->body.len) {
        x->failure = XFER_BODY_TOO_BIG;
        return 0;
    }
    if (mistapi_buf_append(&x->body, p, len) != 0) {
        x->failure = XFER_NO_MEMORY;
        return 0;
    }
    return len;
}

/* True when the caller's headers name `name` (n bytes, lower case). */
static int names(const struct curl_slist *h, const char *name, size_t n)
{
    for (; h != NULL; h = h->next)
        if (strncasecmp(h->data, name, n) == 0 && (h->data[n] == ':' || h->data[n] == ';'))
            return 1;
    return 0;
}

mistapi_xfer *mistapi_xfer_new(const mistapi_http_opts *o, CURLSH *share)
{
    CURLcode rc;
    mistapi_xfer *x = calloc(1, sizeof *x);
    if (x == NULL)
        return NULL;
    x->opts = o;
    x->easy = o->curl->easy_init();
    if (x->easy == NULL) {
        free(x);
        return NULL;
    }
    rc = mistapi_http_opts_apply(o, x->easy);
#define SET(opt, val) do { if (rc == CURLE_OK) rc = o->curl->easy_setopt(x->easy, opt, val); } while (0)
    SET(CURLOPT_SHARE, share);
    SET(CURLOPT_PRIVATE, (void *)x);
    SET(CURLOPT_ERRORBUFFER, x->errbuf);
    SET(CURLOPT_WRITEFUNCTION, on_body);
    SET(CURLOPT_WRITEDATA, (void *)x);
    SET(CURLOPT_HEADERFUNCTION, mistapi_on_header);
    SET(CURLOPT_HEADERDATA, (void *)x);
#undef SET
    if (rc != CURLE_OK) {
        mistapi_xfer_free(x);
        return NULL;
    }
    return x;
}

void mistapi_xfer_free(mistapi_xfer *x)
{
    if (x == NULL)
        return;
    if (x->easy != NULL)
        x->opts->curl->easy_cleanup(x->easy);
    x->opts->curl->slist_free_all(x->req_headers);
    mistapi_buf_free(&x->body);
    mistapi_buf_free(&x->headers);
    free(x);
}

/* Lets go of what the last request collected (its results are in Lua by
 * now), so an idle session holds no big body. Its header list stays, for
 * the next request with the same headers (mistapi_xfer_prepare). */
void mistapi_xfer_release(mistapi_xfer *x)
{
    mistapi_buf_reset(&x->body);
    mistapi_buf_reset(&x->headers);
}

/* Whether the list x kept is the one the headers at idx make now: the same
 * lines, then the session's User-Agent and the empty Content-Type exactly
 * when they are wanted. Checks the headers either way. */
static int same_headers(lua_State *L, const mistapi_xfer *x, int idx, int wants_ct)
{
    const struct curl_slist *rest;
    int names_ua, names_ct;
    int same = mistapi_headers_same(L, idx, x->req_headers, &rest, &names_ua, &names_ct);
    if (!same)
        return 0;
    if (x->opts->user_agent != NULL && !names_ua) {
        if (rest == NULL || strcmp(rest->data, x->opts->user_agent) != 0)
            return 0;
        rest = rest->next;
    }
    if (wants_ct && !names_ct) {
        if (rest == NULL || strcmp(rest->data, "Content-Type:") != 0)
            return 0;
        rest = rest->next;
    }
    return rest == NULL;
}

/* A request without a body, by method and scheme: never 0. */
#define STICKY_OF(method, https) (1 + (method) * 2 + ((https) ? 1 : 0))

/* Sets everything that belongs to one request. Returns 0, or -1 when out of
 * memory or curl refused an option (x keeps what it owns; the caller may
 * prepare again or free it). */
int mistapi_xfer_prepare(lua_State *L, mistapi_xfer *x, int method, const char *url,
                         int headers_idx, const char *body, size_t body_len)
{
    CURL *e = x->easy;
    const mistapi_curl *curl = x->opts->curl;
    CURLcode rc = CURLE_OK;
    int https, sticky;

    int wants_ct = body != NULL || method == METHOD_POST || method == METHOD_PUT || method == METHOD_PATCH;

    mistapi_xfer_release(x);
    x->failure = XFER_OK;
    x->headers_done = 0;
    x->errbuf[0] = '\0';
    /* Most calls send the headers the last one sent (a client's token
     * headers are one table): the list is kept and compared, line by line,
     * rather than made again (about 1,500 instructions a GET). */
    if (x->req_headers != NULL && same_headers(L, x, headers_idx, wants_ct))
        goto headers_done;
    curl->easy_setopt(e, CURLOPT_HTTPHEADER, (struct curl_slist *)NULL);
    x->headers_set = 0;
    curl->slist_free_all(x->req_headers);
    x->req_headers = NULL;
    if (mistapi_headers_slist(L, curl, headers_idx, &x->req_headers) != 0)
        return -1;
    /* the session's User-Agent, unless the caller's headers name their own */
    if (x->opts->user_agent != NULL && !names(x->req_headers, "user-agent", 10)) {
        struct curl_slist *next = curl->slist_append(x->req_headers, x->opts->user_agent);
        if (next == NULL)
            return -1;
        x->req_headers = next;
    }
    if (wants_ct) {
        /* curl would invent application/x-www-form-urlencoded; "Name:" drops it. */
        if (!names(x->req_headers, "content-type", 12)) {
            struct curl_slist *next = curl->slist_append(x->req_headers, "Content-Type:");
            if (next == NULL)
                return -1;
            x->req_headers = next;
        }
    }
headers_done:

#define SET(opt, val) do { if (rc == CURLE_OK) rc = curl->easy_setopt(e, opt, val); } while (0)
    SET(CURLOPT_URL, url);
    if (!x->headers_set) {
        SET(CURLOPT_HTTPHEADER, x->req_headers);
        x->headers_set = rc == CURLE_OK;
    }
    https = strncasecmp(url, "https:", 6) == 0;
    /* A script's calls are mostly the same method again, without a body:
     * the options below are then what the last request left (about a
     * thousand instructions a GET not spent setting them again). */
    sticky = body == NULL && !wants_ct ? STICKY_OF(method, https) : 0;
    if (sticky != 0 && x->sticky == sticky)
        goto options_done;
    x->sticky = 0;
    /* Forget the previous request's method and body first: setting
     * POSTFIELDS also switches curl to POST, so HTTPGET comes after. */
    SET(CURLOPT_CUSTOMREQUEST, (char *)NULL);
    SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)-1);
    SET(CURLOPT_POSTFIELDS, (char *)NULL);
    SET(CURLOPT_HTTPGET, 1L);
    /* HEAD: no body comes back, whatever Content-Length says. */
    SET(CURLOPT_NOBODY, method == METHOD_HEAD ? 1L : 0L);
    if (body != NULL || method == METHOD_POST || method == METHOD_PUT || method == METHOD_PATCH) {
        /* Copied, so a batch item's body may be collected mid-transfer;
         * an explicit size sends "Content-Length: 0" for an empty body. */
        SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
        SET(CURLOPT_COPYPOSTFIELDS, body != NULL ? body : "");
    }
    /* libcurl sends a request again, unasked, when a reused connection dies
     * before the answer; the server may have done it already, so a POST or
     * a PATCH (the calls that are not idempotent) takes a new connection. */
    SET(CURLOPT_FRESH_CONNECT, method == METHOD_POST || method == METHOD_PATCH ? 1L : 0L);
    /* Over https a server may offer HTTP/2: transfers started together wait
     * for the first connection to learn whether they can share it, rather
     * than each opening (and handshaking) its own. */
    SET(CURLOPT_PIPEWAIT, https ? 1L : 0L);
    /* A proxy's CONNECT (https only) gets the User-Agent from its own list;
     * a plain-http request through a proxy is sent to it with the list above. */
    SET(CURLOPT_PROXYHEADER, https ? x->opts->connect_headers : (struct curl_slist *)NULL);
    /* NOBODY already makes curl send HEAD */
    if (method != METHOD_POST && method != METHOD_GET && method != METHOD_HEAD)
        SET(CURLOPT_CUSTOMREQUEST, mistapi_methods[method]);
    else if (method == METHOD_GET && body != NULL)
        SET(CURLOPT_CUSTOMREQUEST, "GET");
    if (rc == CURLE_OK)
        x->sticky = sticky;
options_done:
#undef SET
    return rc == CURLE_OK ? 0 : -1;
}
