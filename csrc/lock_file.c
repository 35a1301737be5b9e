/* A lock across processes, so that two runs of one rotation (cron overlap,
 * two operators) never both go on: plain Lua has no flock.
 *
 *   h = core.lock_file(path) -> h | nil, message, errno
 *       open(O_CREAT|O_NOFOLLOW, 0600) a regular file owned by this user,
 *       then flock(LOCK_EX|LOCK_NB): never waits. EAGAIN when another
 *       process holds it (or released it and removed the path meanwhile:
 *       try again). The holder's pid is written into the file, for the
 *       loser's message.
 *   h:unlock() -> true   removes the path while it still names this file,
 *                        then closes (which releases the lock); idempotent;
 *                        also __gc and __close.
 *   core.getuid() -> the real user id (a lock under /tmp carries it).
 * The path is removed before the lock is released, so a waiting process
 * that opened the old file sees, once it has the lock, that the path names
 * another file, and tries again: one holder at a time. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core.h"

#define LOCK_FILE_MT "mistapi.LockFile"

typedef struct {
    int fd;          /* -1 once unlocked */
    dev_t dev;
    ino_t ino;
    char path[];
} lock_file;

static int push_error(lua_State *L, int err, const char *message)
{
    lua_pushnil(L);
    lua_pushstring(L, message ? message : strerror(err));
    lua_pushinteger(L, err);
    return 3;
}

static void lock_release(lock_file *h)
{
    struct stat st;
    if (h->fd < 0)
        return;
    if (lstat(h->path, &st) == 0 && st.st_dev == h->dev && st.st_ino == h->ino)
        unlink(h->path);
    close(h->fd);
    h->fd = -1;
}

static int lf_lock(lua_State *L)
{
    size_t len;
    const char *path = luaL_checklstring(L, 1, &len);
    lock_file *h;
    struct stat st, now;
    char pid[32];
    int fd, n;
    luaL_argcheck(L, len > 0 && strlen(path) == len, 1, "a path without NUL bytes");
    h = (lock_file *)lua_newuserdatauv(L, sizeof(lock_file) + len + 1, 0);
    h->fd = -1;
    memcpy(h->path, path, len + 1);
    luaL_getmetatable(L, LOCK_FILE_MT);
    lua_setmetatable(L, -2);
    do {
        fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, S_IRUSR | S_IWUSR);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return push_error(L, errno, NULL);
    if (fstat(fd, &st) != 0) {
        int err = errno;
        close(fd);
        return push_error(L, err, NULL);
    }
    if (!S_ISREG(st.st_mode) || st.st_uid != getuid()) {
        close(fd);
        return push_error(L, EPERM, "not a regular file of this user");
    }
    while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int err = errno;
        if (err == EINTR)
            continue;
        close(fd);
        return push_error(L, err == EWOULDBLOCK ? EAGAIN : err, NULL);
    }
    /* The holder before us may have removed the path after we opened it. */
    if (lstat(path, &now) != 0 || now.st_dev != st.st_dev || now.st_ino != st.st_ino) {
        close(fd);
        return push_error(L, EAGAIN, NULL);
    }
    h->fd = fd;
    h->dev = st.st_dev;
    h->ino = st.st_ino;
    n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || n <= 0 || write(fd, pid, (size_t)n) != n) {
        int err = errno;
        lock_release(h);
        return push_error(L, err, NULL);
    }
    return 1;
}

static int lf_unlock(lua_State *L)
{
    lock_release((lock_file *)luaL_checkudata(L, 1, LOCK_FILE_MT));
    lua_pushboolean(L, 1);
    return 1;
}

static int lf_gc(lua_State *L)
{
    lock_release((lock_file *)luaL_checkudata(L, 1, LOCK_FILE_MT));
    return 0;
}

static int lf_tostring(lua_State *L)
{
    lock_file *h = (lock_file *)luaL_checkudata(L, 1, LOCK_FILE_MT);
    lua_pushfstring(L, "mistapi.LockFile (%s)", h->fd >= 0 ? "held" : "released");
    return 1;
}

static int lf_getuid(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)getuid());
    return 1;
}

void mistapi_register_lock_file(lua_State *L)
{
    static const luaL_Reg methods[] = { { "unlock", lf_unlock }, { NULL, NULL } };
    if (luaL_newmetatable(L, LOCK_FILE_MT)) {
        luaL_newlib(L, methods);
        lua_setfield(L, -2, "__index");
        lua_pushcfunction(L, lf_gc);
        lua_setfield(L, -2, "__gc");
        lua_pushcfunction(L, lf_gc);
        lua_setfield(L, -2, "__close");
        lua_pushcfunction(L, lf_tostring);
        lua_setfield(L, -2, "__tostring");
    }
    lua_pop(L, 1);
    lua_pushcfunction(L, lf_lock);
    lua_setfield(L, -2, "lock_file");
    lua_pushcfunction(L, lf_getuid);
    lua_setfield(L, -2, "getuid");
}
