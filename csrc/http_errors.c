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

/* Replaces each occurrence of secret in the NUL-terminated msg with "***".
 * Shorter strings are left alone: they cannot be meaningful secrets and
 * would garble the text. */
void mistapi_redact(char *msg, const char *secret, size_t n)
{
    size_t mlen = strlen(msg);
    char *from = msg;
    char *hit;
    if (secret == NULL || n < 3)
        return;
    while ((hit = find(from, mlen - (size_t)(from - msg), secret, n)) != NULL) {
        memcpy(hit, "***", 3);
        memmove(hit + 3, hit + n, mlen - (size_t)(hit - msg) - n + 1);
        mlen -= n - 3;
        from = hit + 3;
    }
}

/* Redacts the userinfo of url ("user:password@"), whole and by parts. */
void mistapi_redact_url(char *msg, const char *url)
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
    mistapi_redact(msg, start, (size_t)(at - start));
    colon = memchr(start, ':', (size_t)(at - start));
    if (colon != NULL) {
        mistapi_redact(msg, start, (size_t)(colon - start));
        mistapi_redact(msg, colon + 1, (size_t)(at - colon - 1));
    }
}
