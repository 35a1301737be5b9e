/* Headers: request tables to curl_slist, response lines to a Lua table with
 * lower-cased names. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http.h"

/* Header callback: keeps the raw lines of the last response only (a 100
 * Continue or any earlier interim answer is dropped when a new status line
 * arrives), within MISTAPI_MAX_HEADER_BYTES. */
size_t mistapi_on_header(char *p, size_t size, size_t n, void *ud)
{
    mistapi_xfer *x = ud;
    size_t len = size * n;
    if (len >= 5 && memcmp(p, "HTTP/", 5) == 0) {
        x->headers.len = 0;
        x->headers_done = 0;
    } else if ((len == 2 && p[0] == '\r' && p[1] == '\n') || (len == 1 && p[0] == '\n')) {
        x->headers_done = 1;
    }
    if (len > MISTAPI_MAX_HEADER_BYTES - x->headers.len) {
        x->failure = XFER_HEADERS_TOO_BIG;
        return 0;
    }
    if (mistapi_buf_append(&x->headers, p, len) != 0) {
        x->failure = XFER_NO_MEMORY;
        return 0;
    }
    return len;
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* One piece of a header value: a line's value, or a folded continuation.
 * Pieces of the same name are chained and joined once at the end, so a
 * name repeated tens of thousands of times costs linear time (joining
 * onto the growing value at each repeat was quadratic). Offsets fit 32
 * bits: the raw headers are capped at MISTAPI_MAX_HEADER_BYTES. */
typedef struct {
    unsigned int off, len;         /* the value, within the raw buffer */
    int next;                      /* the next piece of this header, or -1 */
    int tail;                      /* first piece only: the last piece so far */
    char sep;                      /* ',' (a repeat: ", ") or ' ' (folded) */
} piece;

static void trim(const char **v, const char **ve)
{
    while (*v < *ve && is_blank(**v))
        (*v)++;
    while (*ve > *v && is_blank((*ve)[-1]))
        (*ve)--;
}

/* Adds piece k to the chain that starts at first. */
static void chain(piece *ps, int first, int k)
{
    ps[ps[first].tail].next = k;
    ps[first].tail = k;
}

/* Stack: ..., index table (name -> first piece). Pushes t. */
static void join_pieces(lua_State *L, const char *base, const piece *ps, int index)
{
    int t;
    lua_newtable(L);
    t = lua_gettop(L);
    lua_pushnil(L);
    while (lua_next(L, index) != 0) {
        luaL_Buffer b;
        int k = (int)lua_tointeger(L, -1);
        lua_pop(L, 1);
        lua_pushvalue(L, -1);                 /* the name, for rawset */
        luaL_buffinit(L, &b);
        luaL_addlstring(&b, base + ps[k].off, ps[k].len);
        for (k = ps[k].next; k >= 0; k = ps[k].next) {
            if (ps[k].sep == ',')
                luaL_addlstring(&b, ", ", 2);
            else
                luaL_addchar(&b, ' ');
            luaL_addlstring(&b, base + ps[k].off, ps[k].len);
        }
        luaL_pushresult(&b);
        lua_rawset(L, t);
    }
}

void mistapi_headers_push(lua_State *L, const mistapi_buf *raw)
{
    /* An empty buffer may have no storage: no pointer arithmetic on NULL. */
    const char *base = raw->data != NULL ? raw->data : "";
    const char *p = base;
    const char *end = raw->data != NULL ? p + raw->len : p;
    size_t lines = 1;
    const char *q;
    piece *ps;
    int np = 0, cur = -1, index;

    for (q = p; q < end && (q = memchr(q, '\n', (size_t)(end - q))) != NULL; q++)
        lines++;
    /* Owned by Lua, so a memory error while building the table frees it. */
    ps = lua_newuserdatauv(L, lines * sizeof *ps, 0);
    lua_newtable(L);
    index = lua_gettop(L);
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        const char *next = eol ? eol + 1 : end;
        const char *le = eol ? eol : end;
        const char *colon, *v, *ve;
        if (le > p && le[-1] == '\r')
            le--;
        if (le == p || (le - p >= 5 && memcmp(p, "HTTP/", 5) == 0)) {
            p = next;
            continue;
        }
        if (is_blank(*p)) {
            v = p;
            ve = le;
            trim(&v, &ve);
            if (cur >= 0 && ve > v) {
                ps[np] = (piece){ (unsigned)(v - base), (unsigned)(ve - v), -1, np, ' ' };
                chain(ps, cur, np++);
            }
            p = next;
            continue;
        }
        colon = memchr(p, ':', (size_t)(le - p));
        if (colon == NULL || colon == p) {
            p = next;
            continue;
        }
        {
            luaL_Buffer b;
            const char *c;
            luaL_buffinit(L, &b);
            for (c = p; c < colon; c++)
                luaL_addchar(&b, (char)tolower((unsigned char)*c));
            luaL_pushresult(&b);
        }
        v = colon + 1;
        ve = le;
        trim(&v, &ve);
        ps[np] = (piece){ (unsigned)(v - base), (unsigned)(ve - v), -1, np, ',' };
        lua_pushvalue(L, -1);
        lua_rawget(L, index);
        if (lua_isnil(L, -1)) {
            lua_pop(L, 1);
            lua_pushinteger(L, np);
            lua_rawset(L, index);
            cur = np;
        } else {
            cur = (int)lua_tointeger(L, -1);
            lua_pop(L, 2);
            chain(ps, cur, np);
        }
        np++;
        p = next;
    }
    join_pieces(L, base, ps, index);
    lua_replace(L, index - 1);         /* the table where the pieces were */
    lua_settop(L, index - 1);
}

/* core.headers(raw) -> table: the header block a raw_headers session gave,
 * made into the table request() would have given. */
int mistapi_headers_parse(lua_State *L)
{
    size_t len;
    const char *raw = luaL_checklstring(L, 1, &len);
    mistapi_buf b;
    b.data = (char *)raw; /* only read */
    b.len = len;
    b.cap = len;
    mistapi_headers_push(L, &b);
    return 1;
}

static int bad_char(const char *s, size_t len, int is_name)
{
    size_t i;
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\r' || c == '\n' || c == '\0')
            return 1;
        if (is_name && (c == ':' || c <= ' ' || c == 127))
            return 1;
    }
    return 0;
}

/* Raises unless the value at idx is nil or a table of name -> value
 * strings (numbers allowed as values) free of CR, LF and NUL. The messages
 * name the header, never its value. */
void mistapi_headers_check(lua_State *L, int idx, const char *what)
{
    if (lua_isnoneornil(L, idx))
        return;
    if (lua_type(L, idx) != LUA_TTABLE)
        luaL_error(L, "%s must be a table of header name -> value", what);
    lua_pushnil(L);
    while (lua_next(L, idx) != 0) {
        size_t nlen, vlen;
        const char *n, *v;
        if (lua_type(L, -2) != LUA_TSTRING)
            luaL_error(L, "%s: header names must be strings", what);
        n = lua_tolstring(L, -2, &nlen);
        if (nlen == 0 || bad_char(n, nlen, 1))
            luaL_error(L, "%s: invalid header name", what);
        if (lua_type(L, -1) != LUA_TSTRING && lua_type(L, -1) != LUA_TNUMBER)
            luaL_error(L, "%s: header %s must have a string value", what, n);
        lua_pushvalue(L, -1); /* tolstring on a copy keeps lua_next's key intact */
        v = lua_tolstring(L, -1, &vlen);
        if (bad_char(v, vlen, 0))
            luaL_error(L, "%s: header %s has CR, LF or NUL in its value", what, n);
        lua_pop(L, 2);
    }
}

/* The pair lua_next left on the stack (name at -2, value at -1), checked as
 * mistapi_headers_check does, with the same messages; pushes a string copy
 * of the value (tolstring on a copy keeps lua_next's key intact). */
static void read_pair(lua_State *L, const char **n, size_t *nlen, const char **v, size_t *vlen)
{
    int t;
    if (lua_type(L, -2) != LUA_TSTRING)
        luaL_error(L, "headers: header names must be strings");
    *n = lua_tolstring(L, -2, nlen);
    t = lua_type(L, -1);
    if (t != LUA_TSTRING && t != LUA_TNUMBER)
        luaL_error(L, "headers: header %s must have a string value", *n);
    lua_pushvalue(L, -1);
    *v = lua_tolstring(L, -1, vlen);
}

/* The bytes of a pair read_pair read: no CR, LF or NUL, a name of token
 * characters. */
static void check_bytes(lua_State *L, const char *n, size_t nlen, const char *v, size_t vlen)
{
    if (nlen == 0 || bad_char(n, nlen, 1))
        luaL_error(L, "headers: invalid header name");
    if (bad_char(v, vlen, 0))
        luaL_error(L, "headers: header %s has CR, LF or NUL in its value", n);
}

static void check_pair(lua_State *L, const char **n, size_t *nlen, const char **v, size_t *vlen)
{
    read_pair(L, n, nlen, v, vlen);
    check_bytes(L, *n, *nlen, *v, *vlen);
}

/* Whether line is the list line of name n and value v. */
static int is_line(const char *line, const char *n, size_t nlen, const char *v, size_t vlen)
{
    /* the length first: no byte past the line's end is read */
    if (strlen(line) != (vlen == 0 ? nlen + 1 : nlen + 2 + vlen) || memcmp(line, n, nlen) != 0)
        return 0;
    if (vlen == 0)
        return line[nlen] == ';';
    return line[nlen] == ':' && line[nlen + 1] == ' ' && memcmp(line + nlen + 2, v, vlen) == 0;
}

static int names_header(const char *n, size_t nlen, const char *name, size_t len)
{
    return nlen == len && strncasecmp(n, name, len) == 0;
}

int mistapi_headers_same(lua_State *L, int idx, const struct curl_slist *list, const struct curl_slist **rest,
                         int *names_ua, int *names_ct)
{
    int same = 1;
    *names_ua = *names_ct = 0;
    if (!lua_isnoneornil(L, idx)) {
        if (lua_type(L, idx) != LUA_TTABLE)
            luaL_error(L, "headers must be a table of header name -> value");
        lua_pushnil(L);
        while (lua_next(L, idx) != 0) {
            size_t nlen, vlen;
            const char *n, *v;
            read_pair(L, &n, &nlen, &v, &vlen);
            *names_ua |= names_header(n, nlen, "user-agent", 10);
            *names_ct |= names_header(n, nlen, "content-type", 12);
            /* a line the list has, byte for byte, was checked when it was made */
            if (same && list != NULL && nlen > 0 && is_line(list->data, n, nlen, v, vlen)) {
                list = list->next;
            } else {
                same = 0;
                check_bytes(L, n, nlen, v, vlen);
            }
            lua_pop(L, 2);
        }
    }
    *rest = list;
    return same;
}

/* Builds *out from the table at idx (nil: nothing), checking each header
 * as mistapi_headers_check does, with the same messages, in the same pass
 * (a request's headers are read once). -1 when out of memory; what was
 * built so far is in *out for the caller to free, on a raise too. */
int mistapi_headers_slist(lua_State *L, const mistapi_curl *curl, int idx, struct curl_slist **out)
{
    if (lua_isnoneornil(L, idx))
        return 0;
    if (lua_type(L, idx) != LUA_TTABLE)
        luaL_error(L, "headers must be a table of header name -> value");
    lua_pushnil(L);
    while (lua_next(L, idx) != 0) {
        size_t nlen, vlen;
        const char *n, *v;
        char small[256], *line = small;
        struct curl_slist *next;
        check_pair(L, &n, &nlen, &v, &vlen);
        if (nlen + vlen + 3 > sizeof small) {
            line = malloc(nlen + vlen + 3);
            if (line == NULL) {
                lua_pop(L, 3);
                return -1;
            }
        }
        memcpy(line, n, nlen);
        if (vlen == 0) {
            /* "Name;" is how curl sends a header with an empty value. */
            line[nlen] = ';';
            line[nlen + 1] = '\0';
        } else {
            line[nlen] = ':';
            line[nlen + 1] = ' ';
            memcpy(line + nlen + 2, v, vlen);
            line[nlen + 2 + vlen] = '\0';
        }
        next = curl->slist_append(*out, line);
        if (line != small)
            free(line);
        if (next == NULL) {
            lua_pop(L, 3);
            return -1;
        }
        *out = next;
        lua_pop(L, 2);
    }
    return 0;
}
