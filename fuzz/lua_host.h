/* Shared by the fuzz targets: one Lua 5.4 state with mistapi.core loaded,
 * and checked calls into it. A target that finds a broken promise aborts,
 * which libFuzzer reports as a crash with the input saved. */
#ifndef MISTAPI_FUZZ_LUA_HOST_H
#define MISTAPI_FUZZ_LUA_HOST_H

#include <stddef.h>
#include <lua.h>
#include <lauxlib.h>

/* The state, created on first use; the core table sits at stack index 1.
 * Every call leaves the stack as it found it (index 1 only). */
lua_State *fuzz_lua(void);

/* Pushes core[name]. */
void fuzz_core_fn(lua_State *L, const char *name);

/* Pushes core.decode, then its arguments: data as a string and shape
 * (nil when NULL); call it with fuzz_call(L, 2, ...). */
void fuzz_push_decode(lua_State *L, const unsigned char *data, size_t size, const char *shape);

/* lua_pcall that aborts, printing the message, when the callee raised:
 * the entries fuzzed here must answer `nil, message` to any input. */
void fuzz_call(lua_State *L, int nargs, int nresults, const char *what);

/* Aborts with a message when cond is false. */
void fuzz_require(int cond, const char *what);

/* Back to just the core table; a full collection now and then, so the
 * __gc paths run under the sanitizers too. */
void fuzz_reset(lua_State *L);

#endif
