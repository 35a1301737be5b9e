/* The Lua host shared by every fuzz target (see lua_host.h). */
#include <stdio.h>
#include <stdlib.h>
#include <lualib.h>

#include "lua_host.h"

int luaopen_mistapi_core(lua_State *L);

/* libFuzzer calls the target again and again in one process; building the
 * state once keeps each run about the entry under test. */
static lua_State *host;
static unsigned long runs;

lua_State *fuzz_lua(void)
{
    if (host == NULL) {
        host = luaL_newstate();
        fuzz_require(host != NULL, "luaL_newstate");
        luaL_openlibs(host);
        luaL_requiref(host, "mistapi.core", luaopen_mistapi_core, 0);
        fuzz_require(lua_gettop(host) == 1 && lua_istable(host, 1), "core table at index 1");
    }
    return host;
}

void fuzz_core_fn(lua_State *L, const char *name)
{
    lua_getfield(L, 1, name);
    fuzz_require(lua_isfunction(L, -1), name);
}

void fuzz_push_decode(lua_State *L, const unsigned char *data, size_t size, const char *shape)
{
    fuzz_core_fn(L, "decode");
    lua_pushlstring(L, (const char *)data, size);
    if (shape != NULL)
        lua_pushstring(L, shape);
    else
        lua_pushnil(L);
}

void fuzz_call(lua_State *L, int nargs, int nresults, const char *what)
{
    if (lua_pcall(L, nargs, nresults, 0) != LUA_OK) {
        fprintf(stderr, "fuzz: %s raised: %s\n", what, lua_tostring(L, -1));
        abort();
    }
}

void fuzz_require(int cond, const char *what)
{
    if (!cond) {
        fprintf(stderr, "fuzz: broken promise: %s\n", what);
        abort();
    }
}

void fuzz_reset(lua_State *L)
{
    lua_settop(L, 1);
    if (++runs % 256 == 0)
        lua_gc(L, LUA_GCCOLLECT, 0);
}
