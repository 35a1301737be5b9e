/* What the two ways to Redis share (csrc/redis_reply.c): hiredis formats
 * every command and parses every reply; the blocking client
 * (csrc/redis_conn.c) and the cosocket path of mistapi.redis (which feeds
 * what it reads to a reader) turn replies into Lua values the same way. */
#ifndef MISTAPI_REDIS_H
#define MISTAPI_REDIS_H

#include <stddef.h>
#include <hiredis/hiredis.h>

#include "core.h"

/* A command's words from the Lua array at idx (strings only: the Lua layer
 * writes numbers), in scratch memory Lua owns (a userdata left on the stack).
 * The pointers stay valid while that array does. Raises on misuse. */
typedef struct {
    int argc;
    const char **argv;
    size_t *lens;
} mistapi_redis_argv;
MISTAPI_LOCAL void mistapi_redis_argv_read(lua_State *L, int idx, mistapi_redis_argv *a);

/* Pushes the reply's Lua value: integer -> integer, bulk or status ->
 * string, array -> array (nested), nil -> false. Returns 0; or, when the
 * reply or any element of it is an error, pushes the error's text
 * instead and returns -1. */
MISTAPI_LOCAL int mistapi_redis_push_reply(lua_State *L, const redisReply *r);

#endif
