/* Monotonic time and sleeping, for retry back-off outside nginx. */
#include <errno.h>
#include <math.h>
#include <time.h>

#include "core.h"

/* core.now() -> seconds on a monotonic clock, as a float. */
static int clock_now(lua_State *L)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    lua_pushnumber(L, (lua_Number)ts.tv_sec + (lua_Number)ts.tv_nsec / 1e9);
    return 1;
}

/* core.sleep(seconds): sleeps the whole time even if a signal interrupts. */
static int clock_sleep(lua_State *L)
{
    lua_Number s = luaL_checknumber(L, 1);
    struct timespec req;
    luaL_argcheck(L, s >= 0 && s <= 86400 && !isnan(s), 1, "seconds must be within 0..86400");
    req.tv_sec = (time_t)s;
    req.tv_nsec = (long)((s - (lua_Number)req.tv_sec) * 1e9);
    if (req.tv_nsec > 999999999L)
        req.tv_nsec = 999999999L;
    while (nanosleep(&req, &req) != 0 && errno == EINTR)
        ;
    return 0;
}

void mistapi_register_clock(lua_State *L)
{
    lua_pushcfunction(L, clock_now);
    lua_setfield(L, -2, "now");
    lua_pushcfunction(L, clock_sleep);
    lua_setfield(L, -2, "sleep");
}
