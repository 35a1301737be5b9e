/* core.decode(text, shape) on hostile text, for each shape: it answers a
 * value, or `nil, "JSON: ...", "syntax"` (or "limit", past a budget), or
 * (a field of the wrong type) `nil, message, "model"`; it never raises, and its message stays short
 * (it must not echo the body, which may hold a key). */
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

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    lua_State *L = fuzz_lua();
    decode_as(L, data, size, NULL);
    decode_as(L, data, size, "token");
    decode_as(L, data, size, "tokens");
    decode_as(L, data, size, "user_token");
    decode_as(L, data, size, "user_tokens");
    fuzz_reset(L);
    return 0;
}
