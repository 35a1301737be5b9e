/* core.encode, the generic writer, on values decoded from the fuzz input:
 * what it writes is valid JSON (decode accepts it again), or it answers
 * `nil, message`; it never raises. */
#include "lua_host.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    lua_State *L = fuzz_lua();
    fuzz_core_fn(L, "decode");
    lua_pushlstring(L, (const char *)data, size);
    fuzz_call(L, 1, 1, "decode");
    if (!lua_isnil(L, -1)) {
        fuzz_core_fn(L, "encode");
        lua_pushvalue(L, -2);
        fuzz_call(L, 1, 2, "encode");
        if (lua_isstring(L, -2)) {
            fuzz_core_fn(L, "decode");
            lua_pushvalue(L, -3);
            fuzz_call(L, 1, 2, "decode of encode's text");
            fuzz_require(!lua_isnil(L, -2), "encode writes JSON that decodes");
        } else {
            fuzz_require(lua_isnil(L, -2) && lua_isstring(L, -1), "encode fails with nil, message");
        }
    }
    fuzz_reset(L);
    return 0;
}
