/* hiredis's blocking client, for mistapi.redis outside nginx's cosocket
 * phases:
 *
 *   core.redis_connect(host, port, timeout) -> conn | nil, message
 *       timeout (seconds) bounds the connect and then every command's
 *       write and read (SO_SNDTIMEO / SO_RCVTIMEO)
 *   conn:command(words) -> value          (values as redis.h says)
 *                        | nil, message, "reply"    Redis answered with an error
 *                        | nil, message, "io"       the connection failed
 *                        | nil, message, "closed"   (the server closed it)
 *                        | nil, message, "timeout"  and is useless from then on
 *   conn:close()  idempotent; also __gc and __close. A closed conn raises on use.
 *
 * Messages are hiredis's, which name the address at most: no command word
 * is ever quoted. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "redis.h"

#define CONN_MT "mistapi.RedisConn"

typedef struct {
    redisContext *c;     /* NULL once closed */
    redisReply *reply;   /* the reply being converted, if any */
    double timeout;
} redis_conn;

static void conn_free_reply(redis_conn *rc)
{
    if (rc->reply != NULL) {
        freeReplyObject(rc->reply);
        rc->reply = NULL;
    }
}

static int conn_close(lua_State *L)
{
    redis_conn *rc = (redis_conn *)luaL_checkudata(L, 1, CONN_MT);
    conn_free_reply(rc);
    if (rc->c != NULL) {
        redisFree(rc->c);
        rc->c = NULL;
    }
    return 0;
}

static struct timeval to_timeval(double seconds)
{
    struct timeval tv;
    tv.tv_sec = (time_t)seconds;
    tv.tv_usec = (suseconds_t)((seconds - (double)tv.tv_sec) * 1e6);
    if (tv.tv_sec == 0 && tv.tv_usec == 0)
        tv.tv_usec = 1;
    return tv;
}

static int c_connect(lua_State *L)
{
    const char *host = luaL_checkstring(L, 1);
    lua_Number port = luaL_checknumber(L, 2);
    lua_Number timeout = luaL_checknumber(L, 3);
    redis_conn *rc;
    redisContext *c;
    struct timeval tv;
    int flags;
    luaL_argcheck(L, port >= 1 && port <= 65535 && port == floor(port), 2, "a port from 1 to 65535");
    luaL_argcheck(L, timeout > 0 && timeout <= 86400, 3, "seconds, more than 0 and at most a day");
    rc = (redis_conn *)lua_newuserdatauv(L, sizeof *rc, 0);
    rc->c = NULL;
    rc->reply = NULL;
    rc->timeout = timeout;
    luaL_getmetatable(L, CONN_MT);
    lua_setmetatable(L, -2);
    tv = to_timeval(timeout);
    c = redisConnectWithTimeout(host, (int)port, tv);
    if (c == NULL)
        return luaL_error(L, "redis: cannot make a connection (out of memory)");
    rc->c = c;
    if (c->err != 0 || redisSetTimeout(c, tv) != REDIS_OK) {
        lua_pushnil(L);
        lua_pushfstring(L, "cannot connect to %s:%d: %s", host, (int)port, c->errstr);
        redisFree(c);
        rc->c = NULL;
        return 2;
    }
    /* not inherited by the programs a CLI starts */
    flags = fcntl(c->fd, F_GETFD);
    if (flags >= 0)
        (void)fcntl(c->fd, F_SETFD, flags | FD_CLOEXEC);
    return 1;
}

/* hiredis writes with write(2): a server that went away would kill the
 * process with SIGPIPE. The signal is blocked for this thread meanwhile, and
 * one that the write raised is taken off before it is unblocked. */
static redisReply *command_without_sigpipe(redisContext *c, const mistapi_redis_argv *a)
{
    sigset_t pipe_set, old, pending;
    int was_pending;
    redisReply *reply;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    sigemptyset(&pending);
    was_pending = sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE);
    if (pthread_sigmask(SIG_BLOCK, &pipe_set, &old) != 0)
        return (redisReply *)redisCommandArgv(c, a->argc, a->argv, a->lens);
    reply = (redisReply *)redisCommandArgv(c, a->argc, a->argv, a->lens);
    if (!was_pending && !sigismember(&old, SIGPIPE)) {
        struct timespec zero = { 0, 0 };
        sigemptyset(&pending);
        if (sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE)) {
            int saved = errno;
            while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR) {
            }
            errno = saved;
        }
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return reply;
}

static int conn_command(lua_State *L)
{
    redis_conn *rc = (redis_conn *)luaL_checkudata(L, 1, CONN_MT);
    mistapi_redis_argv a;
    redisReply *reply;
    if (rc->c == NULL)
        return luaL_error(L, "redis connection is closed");
    mistapi_redis_argv_read(L, 2, &a);
    conn_free_reply(rc);
    errno = 0;
    reply = command_without_sigpipe(rc->c, &a);
    if (reply == NULL) {
        int timed_out = rc->c->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK);
        lua_pushnil(L);
        if (timed_out)
            lua_pushfstring(L, "no answer within %f seconds", (lua_Number)rc->timeout);
        else if (rc->c->err != 0)
            lua_pushstring(L, rc->c->errstr);
        else
            lua_pushliteral(L, "the connection failed");
        lua_pushstring(L, timed_out ? "timeout" : rc->c->err == REDIS_ERR_EOF ? "closed" : "io");
        return 3;
    }
    rc->reply = reply;
    if (mistapi_redis_push_reply(L, reply) < 0) {
        conn_free_reply(rc);
        lua_pushnil(L);
        lua_insert(L, -2);
        lua_pushliteral(L, "reply");
        return 3;
    }
    conn_free_reply(rc);
    return 1;
}

static int conn_tostring(lua_State *L)
{
    redis_conn *rc = (redis_conn *)luaL_checkudata(L, 1, CONN_MT);
    lua_pushfstring(L, "mistapi.RedisConn (%s)", rc->c != NULL ? "open" : "closed");
    return 1;
}

void mistapi_register_redis_conn(lua_State *L)
{
    static const luaL_Reg methods[] = { { "command", conn_command }, { "close", conn_close }, { NULL, NULL } };
    if (luaL_newmetatable(L, CONN_MT)) {
        luaL_newlib(L, methods);
        lua_setfield(L, -2, "__index");
        lua_pushcfunction(L, conn_close);
        lua_setfield(L, -2, "__gc");
        lua_pushcfunction(L, conn_close);
        lua_setfield(L, -2, "__close");
        lua_pushcfunction(L, conn_tostring);
        lua_setfield(L, -2, "__tostring");
    }
    lua_pop(L, 1);
    lua_pushcfunction(L, c_connect);
    lua_setfield(L, -2, "redis_connect");
}
