/* core.ignore_interrupt(on): whether SIGINT is ignored, for the REPL, where a
 * stray Ctrl-C must not end the session (and readline leaves an ignored
 * SIGINT alone). Sets SIG_IGN or SIG_DFL only: no handler, so no state.
 * Returns whether it was ignored before. */
#include <signal.h>
#include <string.h>

#include "core.h"

static int ignore_interrupt(lua_State *L)
{
    struct sigaction act, old;
    luaL_checktype(L, 1, LUA_TBOOLEAN);
    memset(&act, 0, sizeof act);
    act.sa_handler = lua_toboolean(L, 1) ? SIG_IGN : SIG_DFL;
    sigemptyset(&act.sa_mask);
    if (sigaction(SIGINT, &act, &old) != 0)
        return luaL_error(L, "ignore_interrupt: sigaction failed");
    lua_pushboolean(L, old.sa_handler == SIG_IGN);
    return 1;
}

void mistapi_register_interrupt(lua_State *L)
{
    lua_pushcfunction(L, ignore_interrupt);
    lua_setfield(L, -2, "ignore_interrupt");
}
