/* Digests from OpenSSL's libcrypto, loaded (dlopen) on first use as libcurl
 * is: a program that loads the core for JSON alone never maps OpenSSL.
 *
 *   core.keyed_digest(key, text) -> 64 lowercase hex chars, HMAC-SHA256
 *       The shared rate budget keys a token by it: the token itself is never
 *       stored in Redis or sent there.
 *   core.sha1_hex(text) -> 40 lowercase hex chars (a script's EVALSHA name)
 *
 * The entry points live in a userdata that is both functions' upvalue, filled
 * on the first call: the core keeps no state of its own. */
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "core.h"

#ifndef MISTAPI_LIBCRYPTO
#define MISTAPI_LIBCRYPTO "libcrypto.so.3"
#endif

#define CRYPTO_FN(fn) __typeof__(fn) *
typedef struct {
    int loaded;
    CRYPTO_FN(HMAC) hmac;
    CRYPTO_FN(EVP_Digest) digest;
    CRYPTO_FN(EVP_sha256) sha256;
    CRYPTO_FN(EVP_sha1) sha1;
} crypto_api;
#undef CRYPTO_FN

static const struct {
    const char *name;
    size_t offset;
} SYMBOLS[] = {
    { "HMAC", offsetof(crypto_api, hmac) },
    { "EVP_Digest", offsetof(crypto_api, digest) },
    { "EVP_sha256", offsetof(crypto_api, sha256) },
    { "EVP_sha1", offsetof(crypto_api, sha1) },
};

/* The upvalue's table, loaded now if it is not yet; raises when libcrypto
 * can't be loaded (a broken install, not a runtime condition). */
static crypto_api *crypto(lua_State *L)
{
    crypto_api *api = (crypto_api *)lua_touserdata(L, lua_upvalueindex(1));
    void *lib;
    size_t i;
    if (api->loaded)
        return api;
    /* RTLD_NODELETE: OpenSSL stays for the process's life (it can't be
     * unloaded safely), so the handle may be closed at once. */
    lib = dlopen(MISTAPI_LIBCRYPTO, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    if (lib == NULL) {
        const char *why = dlerror();
        luaL_error(L, "cannot load %s: %s", MISTAPI_LIBCRYPTO, why ? why : "unknown error");
    }
    for (i = 0; i < sizeof SYMBOLS / sizeof SYMBOLS[0]; i++) {
        void *fn = dlsym(lib, SYMBOLS[i].name);
        if (fn == NULL) {
            dlclose(lib);
            luaL_error(L, "%s has no %s", MISTAPI_LIBCRYPTO, SYMBOLS[i].name);
        }
        /* a data pointer to a function pointer, as POSIX allows for dlsym */
        memcpy((char *)api + SYMBOLS[i].offset, &fn, sizeof fn);
    }
    dlclose(lib);
    api->loaded = 1;
    return api;
}

static void push_hex(lua_State *L, const unsigned char *md, unsigned int len)
{
    static const char HEX[] = "0123456789abcdef";
    char out[2 * EVP_MAX_MD_SIZE];
    unsigned int i;
    for (i = 0; i < len; i++) {
        out[2 * i] = HEX[md[i] >> 4];
        out[2 * i + 1] = HEX[md[i] & 15];
    }
    lua_pushlstring(L, out, 2 * (size_t)len);
}

static int d_keyed_digest(lua_State *L)
{
    size_t key_len, text_len;
    const char *key = luaL_checklstring(L, 1, &key_len);
    const char *text = luaL_checklstring(L, 2, &text_len);
    crypto_api *api = crypto(L);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    luaL_argcheck(L, key_len <= INT_MAX, 1, "key too long");
    if (api->hmac(api->sha256(), key, (int)key_len, (const unsigned char *)text, text_len, md, &md_len) == NULL
        || md_len != 32)
        return luaL_error(L, "HMAC-SHA256 failed");
    push_hex(L, md, md_len);
    return 1;
}

static int d_sha1_hex(lua_State *L)
{
    size_t len;
    const char *text = luaL_checklstring(L, 1, &len);
    crypto_api *api = crypto(L);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    if (api->digest(text, len, md, &md_len, api->sha1(), NULL) != 1 || md_len != 20)
        return luaL_error(L, "SHA-1 failed");
    push_hex(L, md, md_len);
    return 1;
}

void mistapi_register_digest(lua_State *L)
{
    crypto_api *api = (crypto_api *)lua_newuserdatauv(L, sizeof *api, 0);
    memset(api, 0, sizeof *api);
    lua_pushvalue(L, -1);
    lua_pushcclosure(L, d_keyed_digest, 1);
    lua_setfield(L, -3, "keyed_digest");
    lua_pushcclosure(L, d_sha1_hex, 1);
    lua_setfield(L, -2, "sha1_hex");
}
