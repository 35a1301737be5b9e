/* Redis's protocol through the core (csrc/redis_reply.c). The input is
 * bytes from a server: fed to core.redis_reader in pieces (the first byte
 * picks their size, as a socket would cut them), every reply taken with
 * reader:get(), which must answer `true, value`, `false` or `nil, message,
 * kind` and never raise. Then the same bytes, cut at NUL into words, go
 * through core.redis_format and back through a reader: the reply is an
 * array of exactly those words. */
#include <string.h>

#include "lua_host.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

#define MAX_REPLIES 64
#define MAX_WORDS 64

static void read_replies(lua_State *L, const unsigned char *data, size_t size)
{
    size_t piece = size > 0 ? (size_t)data[0] % 16 + 1 : 1, at = 0;
    int replies = 0, stop = 0;
    fuzz_core_fn(L, "redis_reader");
    fuzz_call(L, 0, 1, "redis_reader");
    while (!stop && replies < MAX_REPLIES) {
        size_t n = size - at < piece ? size - at : piece;
        if (n > 0) {
            lua_getfield(L, -1, "feed");
            lua_pushvalue(L, -2);
            lua_pushlstring(L, (const char *)data + at, n);
            fuzz_call(L, 2, 0, "reader:feed");
            at += n;
        }
        for (;;) {
            lua_getfield(L, -1, "get");
            lua_pushvalue(L, -2);
            fuzz_call(L, 1, 3, "reader:get");
            if (lua_toboolean(L, -3)) {
                replies++;
                lua_pop(L, 3);
                if (replies >= MAX_REPLIES)
                    break;
                continue;
            }
            if (lua_isnil(L, -3)) {
                fuzz_require(lua_type(L, -2) == LUA_TSTRING && lua_type(L, -1) == LUA_TSTRING,
                             "a failure names its message and kind");
                if (strcmp(lua_tostring(L, -1), "protocol") == 0)
                    stop = 1;   /* the reader is useless from then on */
                else
                    fuzz_require(strcmp(lua_tostring(L, -1), "reply") == 0, "kind is reply or protocol");
                lua_pop(L, 3);
                if (stop)
                    break;
                continue;
            }
            fuzz_require(lua_type(L, -3) == LUA_TBOOLEAN, "false: more bytes needed");
            lua_pop(L, 3);
            break;
        }
        if (at >= size)
            break;
    }
    lua_pop(L, 1);
}

static void round_trip(lua_State *L, const unsigned char *data, size_t size)
{
    const char *p = (const char *)data, *end = p + size;
    int words = 0, i;
    lua_newtable(L);
    while (words < MAX_WORDS) {
        const char *nul = memchr(p, '\0', (size_t)(end - p));
        size_t n = nul ? (size_t)(nul - p) : (size_t)(end - p);
        lua_pushlstring(L, p, n);
        lua_rawseti(L, -2, ++words);
        if (!nul)
            break;
        p = nul + 1;
    }
    /* words at -1; format them, read them back */
    fuzz_core_fn(L, "redis_reader");
    fuzz_call(L, 0, 1, "redis_reader");
    lua_getfield(L, -1, "feed");
    lua_pushvalue(L, -2);
    fuzz_core_fn(L, "redis_format");
    lua_pushvalue(L, -5);
    fuzz_call(L, 1, 1, "redis_format");
    fuzz_call(L, 2, 0, "reader:feed");
    lua_getfield(L, -1, "get");
    lua_pushvalue(L, -2);
    fuzz_call(L, 1, 2, "reader:get");
    fuzz_require(lua_toboolean(L, -2) && lua_type(L, -1) == LUA_TTABLE, "a formatted command reads back whole");
    fuzz_require((int)lua_rawlen(L, -1) == words, "as many words");
    for (i = 1; i <= words; i++) {
        lua_rawgeti(L, -1, i);
        lua_rawgeti(L, -5, i);
        fuzz_require(lua_rawequal(L, -1, -2), "the same words");
        lua_pop(L, 2);
    }
    lua_pop(L, 4);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    lua_State *L = fuzz_lua();
    read_replies(L, data, size);
    round_trip(L, data, size);
    fuzz_reset(L);
    return 0;
}
