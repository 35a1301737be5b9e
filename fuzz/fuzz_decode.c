/* core.decode(text, shape) on hostile text, for each shape: it answers a
 * value, or `nil, "JSON: ...", "syntax"` (or "limit", past a budget), or
 * (a field of the wrong type) `nil, message, "model"`; it never raises, and its message stays short
 * (it must not echo the body, which may hold a key). Under a small
 * max_decoded, the same text answers the same way twice. */
#include <string.h>

#include "lua_host.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static void decode_as(lua_State *L, const unsigned char *data, size_t size, const char *shape)
{
    fuzz_push_decode(L, data, size, shape);
    fuzz_call(L, 2, 3, "decode");
    if (lua_isnil(L, -3)) {
        size_t n;
        const char *msg = lua_tolstring(L, -2, &n);
        const char *why = lua_tostring(L, -1);
        fuzz_require(msg != NULL, "decode failure carries a message");
        fuzz_require(n < 200, "decode message is short");
        fuzz_require(why != NULL, "decode failure says syntax, limit or model");
        if (strcmp(why, "syntax") == 0 || strcmp(why, "limit") == 0)
            fuzz_require(n >= 6 && memcmp(msg, "JSON: ", 6) == 0, "a syntax message starts with JSON:");
        else
            fuzz_require(strcmp(why, "model") == 0 && shape != NULL, "only a shape fails as a model");
    }
    lua_pop(L, 3);
}

/* Under a small max_decoded, twice with a full collection between: the same
 * outcome, and for a refusal the same message (the limit counts what the
 * decoder makes from the text, whatever the heap holds). */
static void decode_limited_twice(lua_State *L, const unsigned char *data, size_t size, const char *shape)
{
    char first[200];
    int first_ok = 0, i;
    for (i = 0; i < 2; i++) {
        int ok;
        const char *msg;
        fuzz_push_decode(L, data, size, shape);
        lua_createtable(L, 0, 1);
        lua_pushinteger(L, (lua_Integer)(64 + 2 * size));
        lua_setfield(L, -2, "max_decoded");
        fuzz_call(L, 3, 3, "decode");
        ok = !lua_isnil(L, -3);
        msg = ok ? "" : lua_tostring(L, -2);
        fuzz_require(msg != NULL && strlen(msg) < sizeof first, "decode failure carries a short message");
        if (i == 0) {
            first_ok = ok;
            strcpy(first, msg);
        } else {
            fuzz_require(ok == first_ok && strcmp(first, msg) == 0,
                         "the same text under the same max_decoded answers the same way");
        }
        lua_pop(L, 3);
        lua_gc(L, LUA_GCCOLLECT, 0);
    }
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    lua_State *L = fuzz_lua();
    decode_as(L, data, size, NULL);
    decode_as(L, data, size, "token");
    decode_as(L, data, size, "tokens");
    decode_as(L, data, size, "user_token");
    decode_as(L, data, size, "user_tokens");
    decode_limited_twice(L, data, size, NULL);
    decode_limited_twice(L, data, size, "tokens");
    fuzz_reset(L);
    return 0;
}
