/* Mapping a failed transfer: did the request reach the server, and an error
 * text that holds no credentials. */
#include <string.h>

#include "http.h"

/* True only when the request surely never left: name resolution,
 * connection and TLS handshake failures, refused URLs, and timeouts before
 * the request started to be sent. Anything else may have reached the
 * server, so a caller must not blindly repeat a non-idempotent request. */
int mistapi_never_reached(const mistapi_curl *curl, CURL *easy, CURLcode rc)
{
    curl_off_t pretransfer = 0;
    switch (rc) {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
        return 1;
    case CURLE_OPERATION_TIMEDOUT:
        /* PRETRANSFER is stamped just before the request is sent (it is
         * set on reused connections too); zero means it never was. */
        if (curl->easy_getinfo(easy, CURLINFO_PRETRANSFER_TIME_T, &pretransfer) != CURLE_OK)
            return 0;
        return pretransfer == 0;
    default:
        return 0;
    }
}

static char *find(char *hay, size_t hlen, const char *needle, size_t n)
{
    size_t i;
    if (n == 0 || n > hlen)
        return NULL;
    for (i = 0; i + n <= hlen; i++)
        if (hay[i] == needle[0] && memcmp(hay + i, needle, n) == 0)
            return hay + i;
    return NULL;
}

/* What a secret is replaced with: the placeholder of the Lua side
 * (mistapi.text.REDACTED), so a text reads the same whoever redacted it. */
static const char REDACTED[] = "[redacted]";

/* Replaces each occurrence of secret (n bytes) in the NUL-terminated msg, a
 * buffer of size bytes, with "[redacted]": every non-empty secret, however
 * short, as the Lua side does. The text is rebuilt left to right; when the
 * next piece no longer fits, it ends there, so a secret is never partly
 * shown. */
void mistapi_redact(char *msg, size_t size, const char *secret, size_t n)
{
    char out[MISTAPI_FAILURE_TEXT];
    const size_t mark = sizeof REDACTED - 1;
    size_t mlen, i = 0, o = 0;
    if (secret == NULL || n == 0 || size == 0)
        return;
    if (size > sizeof out)
        size = sizeof out;
    mlen = strlen(msg);
    if (find(msg, mlen, secret, n) == NULL)
        return;
    while (i < mlen) {
        if (i + n <= mlen && msg[i] == secret[0] && memcmp(msg + i, secret, n) == 0) {
            if (o + mark >= size)
                break;
            memcpy(out + o, REDACTED, mark);
            o += mark;
            i += n;
        } else if (i + mark <= mlen && memcmp(msg + i, REDACTED, mark) == 0) {
            /* an earlier secret's mark is copied whole: a short secret
             * ("d", "act") never garbles it */
            if (o + mark >= size)
                break;
            memcpy(out + o, REDACTED, mark);
            o += mark;
            i += mark;
        } else {
            if (o + 1 >= size)
                break;
            out[o++] = msg[i++];
        }
    }
    out[o] = '\0';
    memcpy(msg, out, o + 1);
}

/* Redacts the userinfo of url ("user:password@"), whole and by parts. */
void mistapi_redact_url(char *msg, size_t size, const char *url)
{
    const char *start, *end, *at = NULL, *colon, *p;
    if (url == NULL)
        return;
    start = strstr(url, "://");
    if (start == NULL)
        return;
    start += 3;
    end = start + strcspn(start, "/?#");
    for (p = start; p < end; p++)
        if (*p == '@')
            at = p;
    if (at == NULL)
        return;
    mistapi_redact(msg, size, start, (size_t)(at - start));
    colon = memchr(start, ':', (size_t)(at - start));
    if (colon != NULL) {
        mistapi_redact(msg, size, start, (size_t)(colon - start));
        mistapi_redact(msg, size, colon + 1, (size_t)(at - colon - 1));
    }
}
