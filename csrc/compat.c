/* What the 5.1 ABI (LuaJIT, PUC 5.1) lacks, for compat.h. */
#include "compat.h"

#if LUA_VERSION_NUM < 502
/* luaL_setfuncs of 5.2+: each function gets copies of the nup upvalues
 * sitting under the table, which are popped at the end. */
void mistapi_setfuncs(lua_State *L, const luaL_Reg *l, int nup)
{
    int i;
    luaL_checkstack(L, nup + 1, "too many upvalues");
    for (; l->name != NULL; l++) {
        for (i = 0; i < nup; i++)
            lua_pushvalue(L, -nup);
        lua_pushcclosure(L, l->func, nup);
        lua_setfield(L, -(nup + 2), l->name);
    }
    lua_pop(L, nup);
}
#endif
