/* core.decode(text, shape) on hostile text, for each shape: it answers a
 * value or `nil, "JSON: ..."`, never raises, and its message stays short
 * (it must not echo the body, which may hold a key). */
#include <string.h>

#include "lua_host.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static void decode_as(lua_State *L, const unsigned char *data, size_t size, const char *shape)
{
    fuzz_core_fn(L, "decode");
    lua_pushlstring(L, (const char *)data, size);
    if (shape != NULL)
        lua_pushstring(L, shape);
    else
        lua_pushnil(L);
    fuzz_call(L, 2, 2, "decode");
    if (lua_isnil(L, -2)) {
        size_t n;
        const char *msg = lua_tolstring(L, -1, &n);
        fuzz_require(msg != NULL, "decode failure carries a message");
        fuzz_require(n >= 6 && memcmp(msg, "JSON: ", 6) == 0, "decode message starts with JSON:");
        fuzz_require(n < 200, "decode message is short");
    }
    lua_pop(L, 2);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    lua_State *L = fuzz_lua();
    decode_as(L, data, size, NULL);
    decode_as(L, data, size, "token");
    decode_as(L, data, size, "tokens");
    fuzz_reset(L);
    return 0;
}
