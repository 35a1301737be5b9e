/* The few differences between the Lua 5.4 and the LuaJIT (5.1 ABI) C APIs
 * that the core touches, so each .c file is written once. */
#ifndef MISTAPI_COMPAT_H
#define MISTAPI_COMPAT_H

#include <lua.h>
#include <lauxlib.h>

#if LUA_VERSION_NUM < 502
/* LuaJIT's headers define luaL_newlib through luaL_setfuncs, which PUC 5.1
 * lacks; redefine both in terms of what every 5.1 has. */
#undef luaL_newlib
#define luaL_newlib(L, l) (lua_newtable(L), mistapi_setfuncs((L), (l), 0))
#define lua_rawlen(L, i) lua_objlen((L), (i))
#define lua_newuserdatauv(L, sz, nuv) lua_newuserdata((L), (sz))
#define luaL_setfuncs(L, l, n) mistapi_setfuncs((L), (l), (n))
#define lua_isinteger(L, i) 0
void mistapi_setfuncs(lua_State *L, const luaL_Reg *l, int nup);
/* for an absolute index or a pseudo-index (the registry) only */
#define lua_rawgetp(L, i, p) (lua_pushlightuserdata((L), (void *)(p)), lua_rawget((L), (i)))
#define lua_rawsetp(L, i, p) (lua_pushlightuserdata((L), (void *)(p)), lua_insert((L), -2), lua_rawset((L), (i)))
#endif

#if LUA_VERSION_NUM >= 502 && LUA_VERSION_NUM < 504
/* 5.2 and 5.3: one user value slot at most, which the core never uses. */
#define lua_newuserdatauv(L, sz, nuv) lua_newuserdata((L), (sz))
#endif

#if LUA_VERSION_NUM == 502
/* 5.2 has no integer subtype: every number is a double, as in 5.1. */
#define lua_isinteger(L, i) 0
#endif

/* Only the module entry point leaves the .so. */
#define MISTAPI_EXPORT __attribute__((visibility("default")))
#define MISTAPI_LOCAL  __attribute__((visibility("hidden")))

#endif
