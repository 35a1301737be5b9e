/* A new file only its owner can read, for a secret such as a new token's key.
 * Plain Lua's io.open can neither refuse an existing file nor a symlink nor set
 * the mode at creation, and Debian's lua-posix has no Lua 5.4 build, so this is
 * the one place the core touches the file system:
 *
 *   f = core.create_private_file(path)  -> f | nil, message, errno
 *       open(O_CREAT|O_EXCL|O_NOFOLLOW, 0600): never an existing file, never
 *       through a symlink; the mode is 0600 whatever the umask.
 *   f:write(s)    -> true | nil, message   (all of s, through the same descriptor)
 *   f:close()     -> true | nil, message   (fsync then close; idempotent; also __gc/__close)
 *   f:discard()   -> true                  (close, and unlink the path if it
 *                                          still names the file made here; also
 *                                          after close, once)
 *   core.path_kind(path) -> "missing" | "file" | "directory" | "symlink" |
 *       "device" | "other", size | nil, message, errno
 *       lstat: what a path names, without following a symlink, so a key store
 *       can refuse anything but a regular file before it touches the path.
 *   core.ignore_sigpipe() -> true
 *       for the CLI only (a library leaves signals alone): a write to a closed
 *       pipe then fails with EPIPE instead of killing the process, so a key
 *       written to a pipe nobody reads is a failed store, not a lost key.
 * Messages are strerror's text and never hold what was written. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core.h"

#define PRIVATE_FILE_MT "mistapi.PrivateFile"

typedef struct {
    int fd;          /* -1 once closed */
    int made;        /* 1 while the path may still name the file made here */
    dev_t dev;
    ino_t ino;
    char path[];     /* the path it was created at, for discard */
} private_file;

static private_file *check_file(lua_State *L)
{
    return (private_file *)luaL_checkudata(L, 1, PRIVATE_FILE_MT);
}

static int push_errno(lua_State *L, int err)
{
    lua_pushnil(L);
    lua_pushstring(L, strerror(err));
    lua_pushinteger(L, err);
    return 3;
}

/* The one cleanup for close, discard and __gc: closes once; returns errno or 0. */
static int file_release(private_file *f, int sync)
{
    int err = 0;
    if (f->fd < 0)
        return 0;
    if (sync && fsync(f->fd) != 0 && errno != EINVAL)
        err = errno;
    if (close(f->fd) != 0 && err == 0 && errno != EINTR)
        err = errno;
    f->fd = -1;
    return err;
}

static int pf_create(lua_State *L)
{
    size_t len;
    const char *path = luaL_checklstring(L, 1, &len);
    private_file *f;
    struct stat st;
    int fd;
    luaL_argcheck(L, len > 0 && strlen(path) == len, 1, "a path without NUL bytes");
    f = (private_file *)lua_newuserdatauv(L, sizeof(private_file) + len + 1, 0);
    f->fd = -1;
    f->made = 0;
    memcpy(f->path, path, len + 1);
    luaL_getmetatable(L, PRIVATE_FILE_MT);
    lua_setmetatable(L, -2);
    do {
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, S_IRUSR | S_IWUSR);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return push_errno(L, errno);
    f->fd = fd;
    /* The umask may have taken bits away; set exactly 0600. */
    if (fchmod(fd, S_IRUSR | S_IWUSR) != 0 || fstat(fd, &st) != 0) {
        int err = errno;
        file_release(f, 0);
        unlink(f->path);
        return push_errno(L, err);
    }
    f->dev = st.st_dev;
    f->ino = st.st_ino;
    f->made = 1;
    return 1;
}

static int pf_write(lua_State *L)
{
    private_file *f = check_file(L);
    size_t len, done = 0;
    const char *s = luaL_checklstring(L, 2, &len);
    luaL_argcheck(L, f->fd >= 0, 1, "the file is closed");
    while (done < len) {
        ssize_t n = write(f->fd, s + done, len - done);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return push_errno(L, errno);
        }
        done += (size_t)n;
    }
    lua_pushboolean(L, 1);
    return 1;
}

static int pf_close(lua_State *L)
{
    int err = file_release(check_file(L), 1);
    if (err != 0)
        return push_errno(L, err);
    lua_pushboolean(L, 1);
    return 1;
}

static int pf_discard(lua_State *L)
{
    private_file *f = check_file(L);
    struct stat st;
    file_release(f, 0);
    /* Remove only the file made here: if the path now names another file
     * (replaced after creation), leave it alone. */
    if (f->made && lstat(f->path, &st) == 0 && st.st_dev == f->dev && st.st_ino == f->ino)
        unlink(f->path);
    f->made = 0;
    lua_pushboolean(L, 1);
    return 1;
}

static int pf_gc(lua_State *L)
{
    file_release(check_file(L), 0);
    return 0;
}

static int pf_tostring(lua_State *L)
{
    private_file *f = check_file(L);
    lua_pushfstring(L, "mistapi.PrivateFile (%s)", f->fd >= 0 ? "open" : "closed");
    return 1;
}

static int path_kind(lua_State *L)
{
    size_t len;
    const char *path = luaL_checklstring(L, 1, &len);
    struct stat st;
    const char *kind;
    luaL_argcheck(L, len > 0 && strlen(path) == len, 1, "a path without NUL bytes");
    if (lstat(path, &st) != 0) {
        if (errno == ENOENT) {
            lua_pushliteral(L, "missing");
            return 1;
        }
        return push_errno(L, errno);
    }
    if (S_ISREG(st.st_mode))
        kind = "file";
    else if (S_ISDIR(st.st_mode))
        kind = "directory";
    else if (S_ISLNK(st.st_mode))
        kind = "symlink";
    else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
        kind = "device";
    else
        kind = "other";
    lua_pushstring(L, kind);
    lua_pushinteger(L, (lua_Integer)st.st_size);
    return 2;
}

static int ignore_sigpipe(lua_State *L)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_IGN;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGPIPE, &sa, NULL) != 0)
        return push_errno(L, errno);
    lua_pushboolean(L, 1);
    return 1;
}

void mistapi_register_private_file(lua_State *L)
{
    static const luaL_Reg methods[] = {
        { "write", pf_write }, { "close", pf_close }, { "discard", pf_discard }, { NULL, NULL }
    };
    if (luaL_newmetatable(L, PRIVATE_FILE_MT)) {
        luaL_newlib(L, methods);
        lua_setfield(L, -2, "__index");
        lua_pushcfunction(L, pf_gc);
        lua_setfield(L, -2, "__gc");
        lua_pushcfunction(L, pf_gc);
        lua_setfield(L, -2, "__close");
        lua_pushcfunction(L, pf_tostring);
        lua_setfield(L, -2, "__tostring");
    }
    lua_pop(L, 1);
    lua_pushcfunction(L, pf_create);
    lua_setfield(L, -2, "create_private_file");
    lua_pushcfunction(L, path_kind);
    lua_setfield(L, -2, "path_kind");
    lua_pushcfunction(L, ignore_sigpipe);
    lua_setfield(L, -2, "ignore_sigpipe");
}
