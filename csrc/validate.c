/* Checks on single values: the schema's names (schema.h), UUIDs (libuuid), IP addresses and CIDR
 * prefixes (inet_pton); and core.is_uuid / core.check_ip. */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <uuid/uuid.h>

#include "validate.h"

static int index_of(const char *const *list, const char *s, size_t n)
{
    int i;
    for (i = 0; list[i] != NULL; i++)
        if (strlen(list[i]) == n && memcmp(list[i], s, n) == 0)
            return i;
    return -1;
}

int mistapi_role_index(const char *s, size_t n)
{
    static const char *const roles[] = { MISTAPI_ROLE_NAMES, NULL };
    return index_of(roles, s, n);
}

int mistapi_scope_index(const char *s, size_t n)
{
    static const char *const scopes[] = { MISTAPI_SCOPE_NAMES, NULL };
    return index_of(scopes, s, n);
}

int mistapi_view_index(const char *s, size_t n)
{
    static const char *const views[] = { MISTAPI_VIEW_NAMES, NULL };
    return index_of(views, s, n);
}

int mistapi_is_uuid(const char *s, size_t n)
{
    char buf[37];
    uuid_t u;
    /* uuid_parse wants exactly 36 characters and a NUL; the copy drops any
     * embedded NUL trickery */
    if (n != 36 || memchr(s, '\0', n) != NULL)
        return 0;
    memcpy(buf, s, 36);
    buf[36] = '\0';
    return uuid_parse(buf, u) == 0;
}

void mistapi_quote(char *out, size_t outsz, const char *s, size_t n)
{
    const size_t keep = 32;    /* shorter than any API token key */
    size_t i, o = 0, take = n > keep + 8 ? keep : n;

    if (outsz < 8) {
        if (outsz > 0)
            out[0] = '\0';
        return;
    }
    out[o++] = '"';
    for (i = 0; i < take && o + 6 < outsz; i++) {
        unsigned char c = (unsigned char)s[i];
        out[o++] = (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') ? (char)c : '?';
    }
    if (take < n && o + 5 < outsz) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o++] = '"';
    out[o] = '\0';
}

/* A CIDR prefix: decimal, no sign, no leading zero, 0..max. */
static int parse_prefix(const char *p, size_t n, int max)
{
    int v = 0;
    size_t i;
    if (n == 0 || n > 3 || (n > 1 && p[0] == '0'))
        return -1;
    for (i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        v = v * 10 + (p[i] - '0');
    }
    return v <= max ? v : -1;
}

int mistapi_check_ip(const char *s, size_t n, char *msg, size_t msgsz)
{
    char addr[INET6_ADDRSTRLEN + 1], q[64];
    unsigned char bin[sizeof(struct in6_addr)];
    const char *slash = memchr(s, '/', n);
    size_t alen = slash != NULL ? (size_t)(slash - s) : n;
    int v6 = memchr(s, ':', alen) != NULL, max = v6 ? 128 : 32;

    mistapi_quote(q, sizeof q, s, n);
    if (alen == 0 || alen >= sizeof addr || memchr(s, '\0', n) != NULL)
        goto not_ip;
    memcpy(addr, s, alen);
    addr[alen] = '\0';
    if (inet_pton(v6 ? AF_INET6 : AF_INET, addr, bin) != 1)
        goto not_ip;
    if (slash != NULL && parse_prefix(slash + 1, n - alen - 1, max) < 0) {
        snprintf(msg, msgsz, "%s: prefix must be 0-%d", q, max);
        return -1;
    }
    return 0;
not_ip:
    snprintf(msg, msgsz, "%s: not an IPv4 or IPv6 address or CIDR", q);
    return -1;
}

/* core.is_uuid(s) -> true | nil, message */
static int l_is_uuid(lua_State *L)
{
    size_t n;
    const char *s;
    char q[64];
    luaL_checktype(L, 1, LUA_TSTRING);
    s = lua_tolstring(L, 1, &n);
    if (mistapi_is_uuid(s, n)) {
        lua_pushboolean(L, 1);
        return 1;
    }
    mistapi_quote(q, sizeof q, s, n);
    lua_pushnil(L);
    lua_pushfstring(L, "%s is not a UUID", q);
    return 2;
}

/* core.check_ip(s) -> true | nil, message */
static int l_check_ip(lua_State *L)
{
    size_t n;
    const char *s;
    char msg[128];
    luaL_checktype(L, 1, LUA_TSTRING);
    s = lua_tolstring(L, 1, &n);
    if (mistapi_check_ip(s, n, msg, sizeof msg) == 0) {
        lua_pushboolean(L, 1);
        return 1;
    }
    lua_pushnil(L);
    lua_pushstring(L, msg);
    return 2;
}

/* Whether s holds a byte 0-32 or 127. Eight bytes at a time: a byte below
 * 33 or equal to 127 sets its high bit in the test word (the bit tricks of
 * "Bit Twiddling Hacks": hasless(w, 33) and haszero(w ^ 0x7f..)); bytes of
 * 128 and up never do. A URL is checked before every request. */
static int refused_byte(const char *s, size_t n)
{
    const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w, x;
        memcpy(&w, s + i, sizeof w);
        x = w ^ (ones * 0x7f);
        if ((((w - ones * 33) & ~w) | ((x - ones) & ~x)) & highs)
            return 1;
    }
    for (; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 32 || c == 127)
            return 1;
    }
    return 0;
}

/* core.check_target(url [, base]) -> true | nil, "character" | nil, "base":
 * whether url holds no control character, white space or DEL (Lua's
 * "[%c%s\127]" in the C locale: bytes 0-32 and 127), and starts with base
 * followed by "/". mistapi.target's check, at a few instructions a byte
 * where a Lua pattern costs a few hundred. */
static int l_check_target(lua_State *L)
{
    size_t n, bn = 0;
    const char *s = luaL_checklstring(L, 1, &n);
    const char *base = luaL_optlstring(L, 2, NULL, &bn);
    if (refused_byte(s, n)) {
        lua_pushnil(L);
        lua_pushliteral(L, "character");
        return 2;
    }
    if (base != NULL && (n < bn + 1 || memcmp(s, base, bn) != 0 || s[bn] != '/')) {
        lua_pushnil(L);
        lua_pushliteral(L, "base");
        return 2;
    }
    lua_pushboolean(L, 1);
    return 1;
}

void mistapi_validate_register(lua_State *L)
{
    lua_pushcfunction(L, l_check_target);
    lua_setfield(L, -2, "check_target");
    lua_pushcfunction(L, l_is_uuid);
    lua_setfield(L, -2, "is_uuid");
    lua_pushcfunction(L, l_check_ip);
    lua_setfield(L, -2, "check_ip");
}
