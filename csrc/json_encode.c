/* core.encode and the writer shared with encode_token: Lua values to JSON
 * through yajl_gen, which does the escaping and checks UTF-8. */
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

const char *mistapi_type_name(lua_State *L, int idx)
{
    if (lua_type(L, idx) == LUA_TLIGHTUSERDATA && lua_touserdata(L, idx) == NULL)
        return "null";
    return luaL_typename(L, idx);
}

int mistapi_enc_fail(mistapi_enc *e, const char *fmt, ...)
{
    va_list ap;
    int n = 0;
    if (e->pathlen > 0)
        n = snprintf(e->err, sizeof e->err, "%s: ", e->path);
    if (n < 0 || (size_t)n >= sizeof e->err)
        n = 0;
    va_start(ap, fmt);
    vsnprintf(e->err + n, sizeof e->err - (size_t)n, fmt, ap);
    va_end(ap);
    e->failed = 1;
    return -1;
}

/* Appends to the path; a path too long to keep ends in "..." instead. */
static size_t path_append(mistapi_enc *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static size_t path_append(mistapi_enc *e, const char *fmt, ...)
{
    size_t mark = e->pathlen, room = sizeof e->path - mark;
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(e->path + mark, room, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= room) {
        memcpy(e->path + sizeof e->path - 4, "...", 4);
        e->pathlen = sizeof e->path - 1;
    } else {
        e->pathlen = mark + (size_t)n;
    }
    return mark;
}

size_t mistapi_path_key(mistapi_enc *e, const char *k, size_t n)
{
    if (n > 64)
        n = 64;
    return path_append(e, e->pathlen > 0 ? ".%.*s" : "%.*s", (int)n, k);
}

size_t mistapi_path_index(mistapi_enc *e, long long i)
{
    return path_append(e, "[%lld]", i);
}

void mistapi_path_pop(mistapi_enc *e, size_t mark)
{
    e->pathlen = mark;
    e->path[mark] = '\0';
}

int mistapi_enc_status(mistapi_enc *e, yajl_gen_status st)
{
    switch (st) {
    case yajl_gen_status_ok:
        return 0;
    case yajl_gen_invalid_string:
        return mistapi_enc_fail(e, "string is not valid UTF-8");
    case yajl_max_depth_exceeded:
        return mistapi_enc_fail(e, "nesting too deep");
    default:
        return mistapi_enc_fail(e, "JSON writer error %d", (int)st);
    }
}

int mistapi_enc_string(mistapi_enc *e, const char *s, size_t n)
{
    return mistapi_enc_status(e, yajl_gen_string(e->g, (const unsigned char *)s, n));
}

/* A float with the fewest digits (15..17) that read back the same. */
static int enc_double(mistapi_enc *e, double v)
{
    char buf[40];
    int prec, n = 0;
    char dp = localeconv()->decimal_point[0];

    if (isnan(v) || isinf(v))
        return mistapi_enc_fail(e, "cannot encode %s", isnan(v) ? "NaN" : "infinity");
    for (prec = 15; prec <= 17; prec++) {
        n = snprintf(buf, sizeof buf, "%.*g", prec, v);
        if (dp != '.' && dp != '\0') {
            char *p = strchr(buf, dp);
            if (p != NULL)
                *p = '.';
        }
        if (prec == 17)
            break;
        {
            char back[40];
            memcpy(back, buf, (size_t)n + 1);
            if (dp != '.' && dp != '\0') {
                char *p = strchr(back, '.');
                if (p != NULL)
                    *p = dp;
            }
            if (strtod(back, NULL) == v)
                break;
        }
    }
#if LUA_VERSION_NUM >= 503
    /* keep a float a float on the way back: 2.0, not 2 */
    if (strpbrk(buf, ".e") == NULL && n + 2 < (int)sizeof buf) {
        memcpy(buf + n, ".0", 3);
        n += 2;
    }
#endif
    return mistapi_enc_status(e, yajl_gen_number(e->g, buf, (size_t)n));
}

static int enc_number(mistapi_enc *e, int idx)
{
    lua_State *L = e->L;
    lua_Number v;
#if LUA_VERSION_NUM >= 503
    if (lua_isinteger(L, idx))
        return mistapi_enc_status(e, yajl_gen_integer(e->g, (long long)lua_tointeger(L, idx)));
#endif
    v = lua_tonumber(L, idx);
#if LUA_VERSION_NUM < 503
    /* LuaJIT has doubles only: integral ones are written as integers */
    if (v == floor(v) && fabs(v) < 9223372036854775808.0)
        return mistapi_enc_status(e, yajl_gen_integer(e->g, (long long)v));
#endif
    return enc_double(e, (double)v);
}

int mistapi_table_is_array(mistapi_enc *e, int idx, int allow_empty, size_t *n)
{
    lua_State *L = e->L;
    size_t count = 0;
    lua_Number max = 0;

    if (lua_getmetatable(L, idx)) {
        int marked = lua_rawequal(L, -1, e->array_mt);
        lua_pop(L, 1);
        if (marked) {
            *n = lua_rawlen(L, idx);
            return 1;
        }
    }
    lua_pushnil(L);
    while (lua_next(L, idx) != 0) {
        lua_Number k;
        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TNUMBER) {
            lua_pop(L, 1);
            return 0;
        }
        k = lua_tonumber(L, -1);
        if (k < 1 || k != floor(k)) {
            lua_pop(L, 1);
            return 0;
        }
        if (k > max)
            max = k;
        count++;
    }
    *n = count;
    return (lua_Number)count == max && (count > 0 || allow_empty);
}

/* A non-string key, shown in a message: number or type name. */
void mistapi_describe_key(lua_State *L, int idx, char *out, size_t outsz)
{
    if (lua_type(L, idx) == LUA_TNUMBER) {
#if LUA_VERSION_NUM >= 503
        if (lua_isinteger(L, idx)) {
            snprintf(out, outsz, "number %lld", (long long)lua_tointeger(L, idx));
            return;
        }
#endif
        snprintf(out, outsz, "number %.14g", (double)lua_tonumber(L, idx));
    } else if (lua_type(L, idx) == LUA_TBOOLEAN) {
        snprintf(out, outsz, "boolean %s", lua_toboolean(L, idx) ? "true" : "false");
    } else {
        snprintf(out, outsz, "%s", mistapi_type_name(L, idx));
    }
}

static int enc_table(mistapi_enc *e, int idx, int depth)
{
    lua_State *L = e->L;
    size_t n, i;

    if (depth > MISTAPI_ENCODE_MAX_DEPTH) {
        mistapi_path_pop(e, 0);   /* the path would only be "[1][1]..." */
        return mistapi_enc_fail(e, "nesting too deep (more than %d levels, or a cycle)",
                                MISTAPI_ENCODE_MAX_DEPTH);
    }
    if (!lua_checkstack(L, 4))
        return mistapi_enc_fail(e, "Lua stack overflow");
    if (mistapi_table_is_array(e, idx, 0, &n)) {
        if (mistapi_enc_status(e, yajl_gen_array_open(e->g)) != 0)
            return -1;
        for (i = 1; i <= n; i++) {
            size_t mark = mistapi_path_index(e, (long long)i);
            lua_rawgeti(L, idx, (lua_Integer)i);
            if (mistapi_enc_value(e, lua_gettop(L), depth) != 0)
                return -1;
            lua_pop(L, 1);
            mistapi_path_pop(e, mark);
        }
        return mistapi_enc_status(e, yajl_gen_array_close(e->g));
    }
    if (mistapi_enc_status(e, yajl_gen_map_open(e->g)) != 0)
        return -1;
    lua_pushnil(L);
    while (lua_next(L, idx) != 0) {
        size_t klen, mark;
        const char *k;
        if (lua_type(L, -2) != LUA_TSTRING) {
            char what[64];
            mistapi_describe_key(L, -2, what, sizeof what);
            return mistapi_enc_fail(e, "object keys must be strings, got %s", what);
        }
        k = lua_tolstring(L, -2, &klen);
        if (mistapi_enc_string(e, k, klen) != 0)
            return -1;
        mark = mistapi_path_key(e, k, klen);
        if (mistapi_enc_value(e, lua_gettop(L), depth) != 0)
            return -1;
        mistapi_path_pop(e, mark);
        lua_pop(L, 1);
    }
    return mistapi_enc_status(e, yajl_gen_map_close(e->g));
}

int mistapi_enc_value(mistapi_enc *e, int idx, int depth)
{
    lua_State *L = e->L;
    size_t n;
    const char *s;

    switch (lua_type(L, idx)) {
    case LUA_TNIL:
        return mistapi_enc_status(e, yajl_gen_null(e->g));
    case LUA_TBOOLEAN:
        return mistapi_enc_status(e, yajl_gen_bool(e->g, lua_toboolean(L, idx)));
    case LUA_TNUMBER:
        return enc_number(e, idx);
    case LUA_TSTRING:
        s = lua_tolstring(L, idx, &n);
        return mistapi_enc_string(e, s, n);
    case LUA_TTABLE:
        return enc_table(e, idx, depth + 1);
    case LUA_TLIGHTUSERDATA:
        if (lua_touserdata(L, idx) == NULL)
            return mistapi_enc_status(e, yajl_gen_null(e->g));
        /* fall through */
    default:
        return mistapi_enc_fail(e, "cannot encode a %s", luaL_typename(L, idx));
    }
}

/* Under lua_pcall: (enc, value, arg) -> JSON text, or nothing on failure. */
static int encode_body(lua_State *L)
{
    mistapi_enc *e = lua_touserdata(L, 1);
    const unsigned char *buf;
    size_t len;

    e->L = L;
    luaL_getmetatable(L, MISTAPI_ARRAY_MT);
    e->array_mt = lua_gettop(L);
    if (e->fn(e, e->arg) != 0)
        return 0;
    yajl_gen_get_buf(e->g, &buf, &len);
    lua_pushlstring(L, (const char *)buf, len);
    return 1;
}

int mistapi_encode_run(lua_State *L, int vidx, int aidx, mistapi_enc_fn fn, void *arg)
{
    mistapi_enc enc, *e = &enc;
    int status;

    if (vidx < 0)
        vidx = lua_gettop(L) + vidx + 1;
    e->g = yajl_gen_alloc(NULL);
    if (e->g == NULL)
        return luaL_error(L, "JSON: out of memory");
    yajl_gen_config(e->g, yajl_gen_validate_utf8, 1);
    e->failed = 0;
    e->fn = fn;
    e->arg = arg;
    e->pathlen = 0;
    e->path[0] = '\0';
    e->err[0] = '\0';
    lua_pushcfunction(L, encode_body);
    lua_pushlightuserdata(L, e);
    lua_pushvalue(L, vidx);
    if (aidx != 0)
        lua_pushvalue(L, aidx);
    else
        lua_pushnil(L);
    status = lua_pcall(L, 3, 1, 0);
    yajl_gen_free(e->g);
    if (status != 0)
        return lua_error(L);
    if (e->failed) {
        lua_pop(L, 1);
        lua_pushnil(L);
        lua_pushstring(L, e->err);
        return 2;
    }
    return 1;
}

static int encode_generic(mistapi_enc *e, void *arg)
{
    (void)arg;
    return mistapi_enc_value(e, 2, 0);
}

/* core.encode(value) -> JSON text | nil, message */
static int json_encode(lua_State *L)
{
    luaL_checkany(L, 1);
    return mistapi_encode_run(L, 1, 0, encode_generic, NULL);
}

void mistapi_json_register_encode(lua_State *L)
{
    lua_pushcfunction(L, json_encode);
    lua_setfield(L, -2, "encode");
    luaL_newmetatable(L, MISTAPI_ARRAY_MT);
    lua_setfield(L, -2, "array_mt");
}
