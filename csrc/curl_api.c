/* Loads libcurl on first use; see curl_api.h. */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "curl_api.h"

/* Each entry point and where it goes in the table. */
static const struct {
    const char *name;
    size_t offset;
} SYMBOLS[] = {
#define SYM(field, fn) { #fn, offsetof(mistapi_curl, field) }
    SYM(global_init, curl_global_init),
    SYM(easy_init, curl_easy_init),
    SYM(easy_setopt, curl_easy_setopt),
    SYM(easy_getinfo, curl_easy_getinfo),
    SYM(easy_cleanup, curl_easy_cleanup),
    SYM(easy_strerror, curl_easy_strerror),
    SYM(slist_append, curl_slist_append),
    SYM(slist_free_all, curl_slist_free_all),
    SYM(multi_init, curl_multi_init),
    SYM(multi_add_handle, curl_multi_add_handle),
    SYM(multi_remove_handle, curl_multi_remove_handle),
    SYM(multi_perform, curl_multi_perform),
    SYM(multi_poll, curl_multi_poll),
    SYM(multi_info_read, curl_multi_info_read),
    SYM(multi_cleanup, curl_multi_cleanup),
    SYM(multi_strerror, curl_multi_strerror),
    SYM(share_init, curl_share_init),
    SYM(share_setopt, curl_share_setopt),
    SYM(share_cleanup, curl_share_cleanup),
    SYM(version_info, curl_version_info),
    SYM(version, curl_version),
#undef SYM
};

int mistapi_curl_load(mistapi_curl *api, char *err, size_t errlen)
{
    size_t i;
    /* RTLD_NODELETE: libcurl and OpenSSL stay for the process's life (they
     * can't be unloaded safely), so this handle may be closed at once and
     * the next load finds them already there. */
    void *lib = dlopen(MISTAPI_LIBCURL, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    memset(api, 0, sizeof *api);
    if (lib == NULL) {
        const char *why = dlerror();
        snprintf(err, errlen, "cannot load %s: %s", MISTAPI_LIBCURL, why ? why : "unknown error");
        return -1;
    }
    for (i = 0; i < sizeof SYMBOLS / sizeof SYMBOLS[0]; i++) {
        void *fn = dlsym(lib, SYMBOLS[i].name);
        if (fn == NULL) {
            snprintf(err, errlen, "%s has no %s (libcurl 7.84 or later is needed)", MISTAPI_LIBCURL,
                     SYMBOLS[i].name);
            dlclose(lib);
            return -1;
        }
        /* a data pointer to a function pointer, as POSIX allows for dlsym */
        memcpy((char *)api + SYMBOLS[i].offset, &fn, sizeof fn);
    }
    dlclose(lib);
    /* Reference-counted and thread-safe in libcurl >= 7.84; never undone,
     * other users of libcurl may share the process. */
    if (api->global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        snprintf(err, errlen, "curl_global_init failed");
        return -1;
    }
    return 0;
}
