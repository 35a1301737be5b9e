/* Response header parsing: the input is fed line by line to the header
 * callback curl would call (mistapi_on_header), then turned into the Lua
 * table the client sees (mistapi_headers_push). Names come out lower-cased,
 * and the collector never keeps more than its cap. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "../csrc/http.h"
#include "lua_host.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static int push_table(lua_State *L)
{
    mistapi_headers_push(L, lua_touserdata(L, 1));
    return 1;
}

static void check_names(lua_State *L, int t)
{
    lua_pushnil(L);
    while (lua_next(L, t) != 0) {
        size_t n, i;
        const char *k;
        fuzz_require(lua_type(L, -2) == LUA_TSTRING, "header names are strings");
        fuzz_require(lua_type(L, -1) == LUA_TSTRING, "header values are strings");
        k = lua_tolstring(L, -2, &n);
        fuzz_require(n > 0, "header names are not empty");
        for (i = 0; i < n; i++)
            fuzz_require(!isupper((unsigned char)k[i]) && k[i] != ':', "header names lower-cased");
        lua_pop(L, 1);
    }
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    lua_State *L = fuzz_lua();
    mistapi_xfer x;
    const char *p = (const char *)data, *end = p + size;

    memset(&x, 0, sizeof x);
    /* curl hands over one whole line at a time, LF included; a copy per
     * line lets ASan see any read past it */
    while (p < end && x.failure == XFER_OK) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        size_t n = eol ? (size_t)(eol - p) + 1 : (size_t)(end - p);
        char *line = malloc(n ? n : 1);
        size_t took;
        fuzz_require(line != NULL, "malloc");
        memcpy(line, p, n);
        took = mistapi_on_header(line, 1, n, &x);
        free(line);
        fuzz_require(took == n || (took == 0 && x.failure != XFER_OK), "callback takes all or fails");
        p += n;
    }
    fuzz_require(x.headers.len <= MISTAPI_MAX_HEADER_BYTES, "header bytes within the cap");
    if (x.failure == XFER_OK) {
        lua_pushcfunction(L, push_table);
        lua_pushlightuserdata(L, &x.headers);
        fuzz_call(L, 1, 1, "headers_push");
        fuzz_require(lua_istable(L, -1), "headers_push gives a table");
        check_names(L, lua_gettop(L));
    }
    mistapi_buf_free(&x.headers);
    fuzz_reset(L);
    return 0;
}
