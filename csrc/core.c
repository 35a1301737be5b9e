/* luaopen_mistapi_core: the one symbol the module exports. */
#include "core.h"

MISTAPI_EXPORT int luaopen_mistapi_core(lua_State *L);

int luaopen_mistapi_core(lua_State *L)
{
    /* No version here: the Lua layer (mistapi.config) states it, and the
     * User-Agent it makes from it is a session option. */
    lua_newtable(L);
    mistapi_register_http(L);
    mistapi_register_json(L);
    mistapi_register_model(L);
    mistapi_register_clock(L);
    mistapi_register_private_file(L);
    mistapi_register_interrupt(L);
    mistapi_register_lock_file(L);
    mistapi_register_digest(L);
    mistapi_register_redis_reply(L);
    mistapi_register_redis_conn(L);
    return 1;
}
