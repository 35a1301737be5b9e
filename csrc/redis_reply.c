/* Redis's protocol through hiredis, for the cosocket path (see redis.h):
 *
 *   core.redis_format(words) -> the command's bytes (hiredis's
 *       redisFormatCommandArgv), for any socket to send
 *   core.redis_reader() -> reader
 *   reader:feed(bytes)
 *   reader:get() -> true, value   a whole reply (values as redis.h says)
 *                 | false         more bytes are needed
 *                 | nil, message, "reply"     Redis answered with an error
 *                 | nil, message, "protocol"  not Redis's protocol; the
 *                                             reader is useless from then on
 *
 * hiredis's memory is held by the userdata (a formatted command, a reply
 * being converted), so a Lua error on the way (out of memory) leaks nothing:
 * the __gc frees it. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "redis.h"

#define READER_MT "mistapi.RedisReader"
#define COMMAND_MT "mistapi.RedisCommand"

typedef struct {
    redisReader *reader;   /* NULL once collected */
    redisReply *reply;     /* the reply being converted, if any */
} reader_box;

typedef struct {
    char *bytes;           /* hiredis's formatted command, if any */
} command_box;

void mistapi_redis_argv_read(lua_State *L, int idx, mistapi_redis_argv *a)
{
    size_t n, i;
    luaL_checktype(L, idx, LUA_TTABLE);
    n = lua_rawlen(L, idx);
    luaL_argcheck(L, n > 0 && n < (size_t)INT_MAX / 2, idx, "a command: one word at least");
    a->argc = (int)n;
    a->argv = (const char **)lua_newuserdatauv(L, n * sizeof(char *), 0);
    a->lens = (size_t *)lua_newuserdatauv(L, n * sizeof(size_t), 0);
    for (i = 0; i < n; i++) {
        lua_rawgeti(L, idx, (int)i + 1);
        if (lua_type(L, -1) != LUA_TSTRING)
            luaL_error(L, "redis command word %d: a string expected, got %s", (int)i + 1, luaL_typename(L, -1));
        /* the array holds the string, so the pointer outlives the pop */
        a->argv[i] = lua_tolstring(L, -1, &a->lens[i]);
        lua_pop(L, 1);
    }
    /* the lens userdata stays below the argv one; both are Lua's to free */
}

int mistapi_redis_push_reply(lua_State *L, const redisReply *r)
{
    size_t i;
    luaL_checkstack(L, 4, "redis reply too deep");
    switch (r->type) {
    case REDIS_REPLY_INTEGER:
        lua_pushinteger(L, (lua_Integer)r->integer);
        return 0;
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
        lua_pushlstring(L, r->str, r->len);
        return 0;
    case REDIS_REPLY_NIL:
        lua_pushboolean(L, 0);
        return 0;
    case REDIS_REPLY_ARRAY:
        lua_createtable(L, r->elements < INT_MAX ? (int)r->elements : 0, 0);
        for (i = 0; i < r->elements; i++) {
            if (mistapi_redis_push_reply(L, r->element[i]) < 0) {
                lua_remove(L, -2);   /* the array: the error's text is the answer */
                return -1;
            }
            lua_rawseti(L, -2, (int)i + 1);
        }
        return 0;
    case REDIS_REPLY_ERROR:
        lua_pushlstring(L, r->str, r->len);
        return -1;
    default:
        lua_pushliteral(L, "an unknown reply type");
        return -1;
    }
}

static int command_gc(lua_State *L)
{
    command_box *b = (command_box *)luaL_checkudata(L, 1, COMMAND_MT);
    if (b->bytes != NULL) {
        redisFreeCommand(b->bytes);
        b->bytes = NULL;
    }
    return 0;
}

static int r_format(lua_State *L)
{
    mistapi_redis_argv a;
    command_box *b;
    int len;
    mistapi_redis_argv_read(L, 1, &a);
    b = (command_box *)lua_newuserdatauv(L, sizeof *b, 0);
    b->bytes = NULL;
    luaL_getmetatable(L, COMMAND_MT);
    lua_setmetatable(L, -2);
    len = redisFormatCommandArgv(&b->bytes, a.argc, a.argv, a.lens);
    if (len < 0 || b->bytes == NULL)
        return luaL_error(L, "redis: cannot format the command (out of memory)");
    lua_pushlstring(L, b->bytes, (size_t)len);
    redisFreeCommand(b->bytes);
    b->bytes = NULL;
    return 1;
}

static void reader_free_reply(reader_box *b)
{
    if (b->reply != NULL) {
        freeReplyObject(b->reply);
        b->reply = NULL;
    }
}

static int reader_gc(lua_State *L)
{
    reader_box *b = (reader_box *)luaL_checkudata(L, 1, READER_MT);
    reader_free_reply(b);
    if (b->reader != NULL) {
        redisReaderFree(b->reader);
        b->reader = NULL;
    }
    return 0;
}

static reader_box *check_reader(lua_State *L)
{
    reader_box *b = (reader_box *)luaL_checkudata(L, 1, READER_MT);
    if (b->reader == NULL)
        luaL_error(L, "redis reader is closed");
    return b;
}

static int r_reader(lua_State *L)
{
    reader_box *b = (reader_box *)lua_newuserdatauv(L, sizeof *b, 0);
    b->reader = NULL;
    b->reply = NULL;
    luaL_getmetatable(L, READER_MT);
    lua_setmetatable(L, -2);
    b->reader = redisReaderCreate();
    if (b->reader == NULL)
        return luaL_error(L, "redis: cannot make a reader (out of memory)");
    return 1;
}

static int reader_feed(lua_State *L)
{
    reader_box *b = check_reader(L);
    size_t len;
    const char *bytes = luaL_checklstring(L, 2, &len);
    /* a reader in error refuses more; get() reports why */
    (void)redisReaderFeed(b->reader, bytes, len);
    return 0;
}

static int reader_get(lua_State *L)
{
    reader_box *b = check_reader(L);
    void *reply = NULL;
    reader_free_reply(b);
    if (redisReaderGetReply(b->reader, &reply) != REDIS_OK) {
        lua_pushnil(L);
        lua_pushfstring(L, "protocol error: %s", b->reader->errstr);
        lua_pushliteral(L, "protocol");
        return 3;
    }
    if (reply == NULL) {
        lua_pushboolean(L, 0);
        return 1;
    }
    b->reply = (redisReply *)reply;
    if (mistapi_redis_push_reply(L, b->reply) < 0) {
        reader_free_reply(b);
        lua_pushnil(L);
        lua_insert(L, -2);
        lua_pushliteral(L, "reply");
        return 3;
    }
    reader_free_reply(b);
    lua_pushboolean(L, 1);
    lua_insert(L, -2);
    return 2;
}

void mistapi_register_redis_reply(lua_State *L)
{
    static const luaL_Reg methods[] = { { "feed", reader_feed }, { "get", reader_get }, { NULL, NULL } };
    if (luaL_newmetatable(L, READER_MT)) {
        luaL_newlib(L, methods);
        lua_setfield(L, -2, "__index");
        lua_pushcfunction(L, reader_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_pop(L, 1);
    if (luaL_newmetatable(L, COMMAND_MT)) {
        lua_pushcfunction(L, command_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_pop(L, 1);
    lua_pushcfunction(L, r_format);
    lua_setfield(L, -2, "redis_format");
    lua_pushcfunction(L, r_reader);
    lua_setfield(L, -2, "redis_reader");
}
