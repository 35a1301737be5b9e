/* The token and privilege models: their keys, their metatables, the
 * "keys from the server" table, and registration of the model functions. */
#include <string.h>

#include "json.h"
#include "model.h"
#include "validate.h"

#define IS(lit) (n == sizeof(lit) - 1 && memcmp(k, lit, n) == 0)

/* Called for every key of every decoded token: a switch on the length
 * leaves at most one or two memcmp per key. */
int mistapi_token_key(const char *k, size_t n)
{
    switch (n) {
    case 2: return IS("id") ? TK_ID : TK_UNKNOWN;
    case 3: return IS("key") ? TK_KEY : TK_UNKNOWN;
    case 4: return IS("name") ? TK_NAME : TK_UNKNOWN;
    case 6: return IS("org_id") ? TK_ORG_ID : TK_UNKNOWN;
    case 7: return IS("src_ips") ? TK_SRC_IPS : TK_UNKNOWN;
    case 9: return IS("last_used") ? TK_LAST_USED : TK_UNKNOWN;
    case 10:
        return IS("privileges") ? TK_PRIVILEGES : IS("created_by") ? TK_CREATED_BY : TK_UNKNOWN;
    case 12: return IS("created_time") ? TK_CREATED_TIME : TK_UNKNOWN;
    default: return TK_UNKNOWN;
    }
}

int mistapi_privilege_key(const char *k, size_t n)
{
    switch (n) {
    case 4: return IS("role") ? PK_ROLE : PK_UNKNOWN;
    case 5: return IS("scope") ? PK_SCOPE : IS("views") ? PK_VIEWS : PK_UNKNOWN;
    case 6: return IS("org_id") ? PK_ORG_ID : PK_UNKNOWN;
    case 7: return IS("site_id") ? PK_SITE_ID : PK_UNKNOWN;
    case 12: return IS("sitegroup_id") ? PK_SITEGROUP_ID : PK_UNKNOWN;
    default: return PK_UNKNOWN;
    }
}

#undef IS

void mistapi_register_model(lua_State *L)
{
    /* created here so they exist before any decode; the Lua layer adds
     * __tostring and friends */
    luaL_newmetatable(L, MISTAPI_TOKEN_MT);
    luaL_newmetatable(L, MISTAPI_PRIVILEGE_MT);
    lua_pop(L, 2);

    /* object -> set of key names it got from the server; weak keys, so a
     * decoded table is not kept alive by the record */
    lua_getfield(L, LUA_REGISTRYINDEX, MISTAPI_SERVER_KEYS);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_createtable(L, 0, 1);
        lua_pushliteral(L, "k");
        lua_setfield(L, -2, "__mode");
        lua_setmetatable(L, -2);
        lua_setfield(L, LUA_REGISTRYINDEX, MISTAPI_SERVER_KEYS);
    } else {
        lua_pop(L, 1);
    }
    mistapi_register_token_encode(L);
    mistapi_validate_register(L);
}
