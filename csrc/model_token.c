/* The token and privilege models: their keys, their metatables, the
 * "keys from the server" table, and registration of the model functions. */
#include <string.h>

#include "json.h"
#include "model.h"
#include "validate.h"

static int key_index(const char *const *keys, const char *k, size_t n)
{
    int i;
    for (i = 0; keys[i] != NULL; i++)
        if (keys[i][0] == k[0] && strlen(keys[i]) == n && memcmp(keys[i], k, n) == 0)
            return i;
    return -1;
}

int mistapi_token_key(const char *k, size_t n)
{
    /* same order as enum mistapi_token_key */
    static const char *const keys[] = { "name", "privileges", "src_ips", "id", "org_id", "key",
                                        "created_time", "created_by", "last_used", NULL };
    return n == 0 ? TK_UNKNOWN : key_index(keys, k, n);
}

int mistapi_privilege_key(const char *k, size_t n)
{
    /* same order as enum mistapi_privilege_key */
    static const char *const keys[] = { "role", "scope", "site_id", "sitegroup_id", "views",
                                        "org_id", NULL };
    return n == 0 ? PK_UNKNOWN : key_index(keys, k, n);
}

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
