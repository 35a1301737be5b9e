/* luaopen_mistapi_core: the one symbol the module exports. */
#include "core.h"

MISTAPI_EXPORT int luaopen_mistapi_core(lua_State *L);

int luaopen_mistapi_core(lua_State *L)
{
    lua_newtable(L);
    lua_pushliteral(L, MISTAPI_VERSION);
    lua_setfield(L, -2, "version");
    mistapi_register_http(L);
    mistapi_register_json(L);
    mistapi_register_model(L);
    mistapi_register_clock(L);
    mistapi_register_private_file(L);
    mistapi_register_interrupt(L);
    return 1;
}
