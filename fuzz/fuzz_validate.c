/* core.is_uuid and core.check_ip on any bytes: true or `nil, message`,
 * never a raise; what passes looks like what it claims to be; messages
 * stay short (they quote only a cut excerpt). */
#include <string.h>

#include "lua_host.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static int check(lua_State *L, const char *fn, const unsigned char *data, size_t size)
{
    int ok;
    fuzz_core_fn(L, fn);
    lua_pushlstring(L, (const char *)data, size);
    fuzz_call(L, 1, 2, fn);
    ok = lua_toboolean(L, -2);
    if (!ok) {
        size_t n;
        fuzz_require(lua_isnil(L, -2), "failure is nil");
        fuzz_require(lua_tolstring(L, -1, &n) != NULL, "failure carries a message");
        fuzz_require(n < 128, "message is short");
    }
    lua_pop(L, 2);
    return ok;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    lua_State *L = fuzz_lua();
    if (check(L, "is_uuid", data, size))
        fuzz_require(size == 36 && memchr(data, '\0', size) == NULL, "a UUID is 36 characters");
    if (check(L, "check_ip", data, size))
        fuzz_require(size > 0 && size <= 49 && memchr(data, '\0', size) == NULL,
                     "an IP or CIDR is short and has no NUL");
    fuzz_reset(L);
    return 0;
}
