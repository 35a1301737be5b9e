/* libcurl, loaded when the first session (or core.curl_version) needs it,
 * not when the core is: a program that only decodes JSON, such as an nginx
 * worker on the ngx transport, never maps libcurl, OpenSSL and their
 * libraries. Every curl call goes through one of these tables; a session
 * holds its own copy, so the core keeps no state of its own. */
#ifndef MISTAPI_CURL_API_H
#define MISTAPI_CURL_API_H

#include <stddef.h>
#include <curl/curl.h>

#include "core.h"

/* The shared object opened; the soname the build was made against. */
#ifndef MISTAPI_LIBCURL
#define MISTAPI_LIBCURL "libcurl.so.4"
#endif

/* Each field has the type of libcurl's own function (__typeof__ of the
 * declaration in curl.h: checked by the compiler, no link to libcurl). */
#define MISTAPI_CURL_FN(fn) __typeof__(fn) *
typedef struct mistapi_curl {
    MISTAPI_CURL_FN(curl_global_init) global_init;
    MISTAPI_CURL_FN(curl_easy_init) easy_init;
    MISTAPI_CURL_FN(curl_easy_setopt) easy_setopt;
    MISTAPI_CURL_FN(curl_easy_getinfo) easy_getinfo;
    MISTAPI_CURL_FN(curl_easy_cleanup) easy_cleanup;
    MISTAPI_CURL_FN(curl_easy_strerror) easy_strerror;
    MISTAPI_CURL_FN(curl_slist_append) slist_append;
    MISTAPI_CURL_FN(curl_slist_free_all) slist_free_all;
    MISTAPI_CURL_FN(curl_multi_init) multi_init;
    MISTAPI_CURL_FN(curl_multi_add_handle) multi_add_handle;
    MISTAPI_CURL_FN(curl_multi_remove_handle) multi_remove_handle;
    MISTAPI_CURL_FN(curl_multi_perform) multi_perform;
    MISTAPI_CURL_FN(curl_multi_poll) multi_poll;
    MISTAPI_CURL_FN(curl_multi_info_read) multi_info_read;
    MISTAPI_CURL_FN(curl_multi_cleanup) multi_cleanup;
    MISTAPI_CURL_FN(curl_multi_strerror) multi_strerror;
    MISTAPI_CURL_FN(curl_share_init) share_init;
    MISTAPI_CURL_FN(curl_share_setopt) share_setopt;
    MISTAPI_CURL_FN(curl_share_cleanup) share_cleanup;
    MISTAPI_CURL_FN(curl_version_info) version_info;
    MISTAPI_CURL_FN(curl_version) version;
} mistapi_curl;
#undef MISTAPI_CURL_FN

/* Fills *api from libcurl (loaded once, never unloaded) and runs
 * curl_global_init. 0, or -1 with why in err. */
MISTAPI_LOCAL int mistapi_curl_load(mistapi_curl *api, char *err, size_t errlen);

#endif
