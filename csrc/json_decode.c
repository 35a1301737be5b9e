/* core.decode: JSON text straight into Lua tables through yajl's callbacks,
 * with no intermediate tree. Also registers the JSON half of the module. */
#include <locale.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

#include "json.h"
#include "model.h"

enum shape { SHAPE_NONE, SHAPE_TOKEN, SHAPE_TOKENS };

/* K_PAGE: a page paged by a body link, {"results": [tokens...], "next": ...};
 * K_STRINGS: a token's src_ips or a privilege's views. */
enum kind { K_ARRAY, K_OBJECT, K_TOKENS, K_TOKEN, K_PRIVILEGES, K_PRIVILEGE, K_PAGE, K_STRINGS };

/* A string up to SHORT_STRING bytes is one object per distinct value in a
 * Lua state (Lua 5.4 interns them, LuaJIT interns every string), so a
 * repeat (a list's org_id, role, a generic object's keys) makes nothing new.
 * The decoder remembers the last SEEN_SLOTS such strings by a hash of the
 * text and counts a repeat as free: deterministic, from the text alone. */
#define SHORT_STRING 40   /* below 64: it fits the low bits of a seen hash */
#define SEEN_BITS    7
#define SEEN_SLOTS   (1u << SEEN_BITS)

/* How many of a token's keys the decoder remembers the order of: a list's
 * tokens come with their keys in one order, so the field the last token
 * had at a position is tried first (one compare instead of a scan). */
#define KEY_ORDER 16

/* yajl's handle, lexer and state stack take about 400 bytes, its string
 * buffer 2 KiB more when a string has escapes: a decode hands them out from
 * the decoder's own arena (on the C stack) rather than five mallocs and
 * frees. Past it, malloc. */
#define ARENA_BYTES 3072
#define ARENA_ALIGN 16

typedef struct {
    unsigned char kind;
    unsigned char is_array;
    unsigned char made;            /* its table is on the stack (a list's token
                                      waits for its first key, see open_container) */
    signed char key;               /* token, privilege frame: the pending key's id;
                                      page frame: 1 when it is "results" */
    unsigned char keys;            /* token frame: keys seen so far */
    unsigned paid;                 /* slots its table was made with (already counted) */
    unsigned members;              /* object frame: members so far */
    lua_Integer n;                 /* array frame: items so far */
} frame;

typedef struct {
    lua_State *L;
    const char *text;
    size_t len;
    int shape;
    const mistapi_model *model;    /* with a shape: the token model */
    int mt_token, mt_privilege, server_keys, array_mt;  /* stack indexes */
    int known_keys;                /* stack index of the registry's KNOWN_KEYS */
    int key_base;                  /* where the model's field names start in it */
    int depth;
    int failed;                    /* 1: yajl_parse, 2: yajl_complete_parse */
    const char *reason;            /* ours, when a callback stopped the parse */
    const char *why;               /* a field of the wrong type: what was expected */
    int why_kind;                  /* ... and the kind of value found */
    lua_Integer max_items;         /* most items of a token list; 0: no bound */
    size_t made;                   /* bytes counted so far (see COST_*) */
    size_t budget;                 /* most bytes the decode may make: max_decoded */
    int counting;                  /* 0: the text is too short to reach the budget (UNCOUNTED) */
    int over;                      /* a limit stopped the parse: why = "limit" */
    int top_token;                 /* the value is an object of the model (SHAPE_TOKEN) */
    char limit_reason[96];
    uint64_t seen_hash[SEEN_SLOTS];         /* short strings of the text counted: hash, */
    const unsigned char *seen[SEEN_SLOTS];  /* and where (read only when the hash matches) */
    yajl_handle h;
    size_t arena_used;             /* bytes of arena handed out (see yajl_arena_malloc) */
    signed char order[KEY_ORDER];  /* the field ids the last token's keys had, in order */
    frame f[MISTAPI_DECODE_MAX_DEPTH + 1];
    /* yajl's own memory (its handle, lexer, state stack), while it fits;
     * the union aligns it for any of yajl's structures */
    union {
        unsigned char bytes[ARENA_BYTES];
        long double ld;
        void *p;
        long long ll;
    } arena;
} decoder;

/* What max_decoded counts: the bytes of what the decoder makes, by a
 * fixed model, so the same text under the same limits is accepted or
 * refused the same way (at the same byte) whatever the Lua heap holds and
 * whenever the collector runs. The figures are a little above what Lua 5.4
 * and LuaJIT really take (HACKING.md, "max_decoded", has the measure). */
#define COST_TABLE      64u   /* a table: 56 bytes on Lua 5.4, 64 on LuaJIT, and malloc's */
#define COST_STRING     48u   /* a string past its bytes: a 24-byte header, NUL, malloc rounding up */
#define COST_ARRAY_SLOT 32u   /* an item: a 16-byte TValue, an array doubling as it grows */
#define COST_HASH_SLOT  48u   /* a member: a 24-byte node, a hash part doubling as it grows */
#define COST_SIZED_SLOT 24u   /* a node of a pre-sized hash part (never doubled) */

/* Twice the most a byte of text makes the decoder count, and more than what
 * a text counts past that: the densest texts known come to 64 a byte (a
 * list's tokens each made by an unknown key, `{"":0},`: the token, its
 * "from the server" set, the item), a token's privileges to 44, empty
 * tables to 32; spec 13 decodes them against this line. A text of len bytes
 * with len * UNCOUNTED_PER_BYTE + UNCOUNTED_FIXED <= its budget cannot pass
 * it, so it is decoded without counting: the same answer is accepted at the
 * same limits either way, and a token (a few hundred bytes, under a budget
 * of at least 4 MiB by default) costs no counting at all. */
#define UNCOUNTED_PER_BYTE 128u
#define UNCOUNTED_FIXED    4096u

/* Counts bytes the decode makes; 0 (the parse stops, why "limit") once
 * they pass the budget. */
static int charge(decoder *d, size_t bytes)
{
    if (!d->counting)
        return 1;
    d->made += bytes;
    if (d->made <= d->budget)
        return 1;
    snprintf(d->limit_reason, sizeof d->limit_reason,
             "the decoded answer takes more than max_decoded (%lu bytes)", (unsigned long)d->budget);
    d->reason = d->limit_reason;
    d->over = 1;
    return 0;
}

/* 8 bytes at p as a little-endian number, the same on every machine. */
static uint64_t le64(const unsigned char *p)
{
    uint64_t w;
    memcpy(&w, p, sizeof w);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    w = __builtin_bswap64(w);
#endif
    return w;
}

/* Fewer than 8 bytes at p, the same way. */
static uint64_t le_short(const unsigned char *p, size_t n)
{
    uint64_t w = 0;
    while (n-- > 0)
        w = (w << 8) | p[n];
    return w;
}

/* Counts a string of len bytes at s that the decode is about to push: its
 * bytes and COST_STRING, unless it is a short string of the text this
 * decode has already counted. 0 past the budget. */
static int charge_string(decoder *d, const unsigned char *s, size_t len)
{
    uint64_t h;
    unsigned slot;
    uintptr_t at = (uintptr_t)s, text = (uintptr_t)d->text;
    if (!d->counting)
        return 1;
    if (len > SHORT_STRING || len > d->len || at < text || at - text > d->len - len)
        return charge(d, len + COST_STRING);   /* long, or unescaped into yajl's buffer */
    /* length, first and last 8 bytes: cheap, and a collision only counts twice */
    if (len >= 8)
        h = (((uint64_t)len ^ le64(s)) * 0x9E3779B97F4A7C15u ^ le64(s + len - 8)) * 0xC2B2AE3D27D4EB4Fu;
    else
        h = ((uint64_t)len ^ le_short(s, len)) * 0x9E3779B97F4A7C15u;
    /* the low bits hold the length (so an equal hash is an equal length)
     * and a set bit (0 is an empty slot) */
    h = (h & ~(uint64_t)0x7F) | 0x40 | len;
    slot = (unsigned)(h >> (64 - SEEN_BITS));
    if (d->seen_hash[slot] == h && memcmp(d->seen[slot], s, len) == 0)
        return 1;
    d->seen_hash[slot] = h;
    d->seen[slot] = s;
    return charge(d, len + COST_STRING);
}

/* The hash slots lua_createtable(L, 0, n) really makes: n up to a power of 2. */
static unsigned hash_slots(unsigned n)
{
    unsigned p = 1;
    if (n == 0)
        return 0;
    while (p < n)
        p <<= 1;
    return p;
}

/* With a shape: whether the value on top of the stack, of kind vk, fits
 * where it goes in the model. */
static int fits(decoder *d, const frame *f, int vk)
{
    const char *why = NULL;
    int ok = 1;
    switch (f->kind) {
    case K_TOKENS:
    case K_PRIVILEGES:
        if (vk != V_OBJECT) {
            why = "expected an object, got";
            ok = 0;
        }
        break;
    case K_STRINGS:
        if (vk != V_STRING) {
            why = "expected a string, got";
            ok = 0;
        }
        break;
    case K_TOKEN:
        ok = mistapi_model_field_ok(d->L, d->model, f->key, vk, &why);
        break;
    case K_PRIVILEGE:
        ok = mistapi_privilege_field_ok(d->L, f->key, vk, &why);
        break;
    default:
        break;
    }
    if (!ok) {
        d->why = why;
        d->why_kind = vk;
        d->reason = "a field of the wrong type";
    }
    return ok;
}

/* Hands the value on top of the stack, of kind vk, to the enclosing
 * container; 0 when the shape refuses it (the parse stops). */
static int deliver(decoder *d, int vk)
{
    frame *f;
    if (d->depth == 0)
        return 1;
    f = &d->f[d->depth];
    if (d->shape != SHAPE_NONE && f->kind != K_ARRAY && f->kind != K_OBJECT && !fits(d, f, vk))
        return 0;
    if (f->kind == K_TOKENS && d->max_items > 0 && f->n >= d->max_items) {
        snprintf(d->limit_reason, sizeof d->limit_reason,
                 "more than the %ld items asked for", (long)d->max_items);
        d->reason = d->limit_reason;
        d->over = 1;
        return 0;
    }
    if (f->is_array) {
        if (f->n >= (lua_Integer)f->paid && !charge(d, COST_ARRAY_SLOT))
            return 0;
        lua_rawseti(d->L, -2, ++f->n);
    } else {
        if (f->members++ >= f->paid && !charge(d, COST_HASH_SLOT))
            return 0;
        lua_rawset(d->L, -3);
    }
    return 1;
}

static int on_null(void *ctx)
{
    decoder *d = ctx;
    if (d->depth > 0 && !d->f[d->depth].is_array)
        lua_pushnil(d->L);   /* null members are left out; a later duplicate clears */
    else
        lua_pushlightuserdata(d->L, NULL);
    return deliver(d, V_NULL);
}

static int on_boolean(void *ctx, int b)
{
    decoder *d = ctx;
    lua_pushboolean(d->L, b);
    return deliver(d, V_BOOLEAN);
}

/* Integers without '.', 'e' or 'E' that fit int64 stay integers; anything
 * else (fractions, exponents, 30-digit numbers) is a double. */
static int on_number(void *ctx, const char *s, size_t len)
{
    decoder *d = ctx;
    size_t i = 0;
    int neg = 0, is_int = 1;
    uint64_t acc = 0, limit;
    char small[64], *buf = small, dp;
    double v;

    if (i < len && s[i] == '-') {
        neg = 1;
        i++;
    }
    limit = neg ? (uint64_t)INT64_MAX + 1u : (uint64_t)INT64_MAX;
    for (; i < len; i++) {
        unsigned dig;
        if (s[i] < '0' || s[i] > '9') {
            is_int = 0;
            break;
        }
        dig = (unsigned)(s[i] - '0');
        if (acc > (limit - dig) / 10) {
            is_int = 0;
            break;
        }
        acc = acc * 10 + dig;
    }
    if (is_int) {
        if (neg)
            lua_pushinteger(d->L, acc == (uint64_t)INT64_MAX + 1u
                                      ? (lua_Integer)INT64_MIN : -(lua_Integer)acc);
        else
            lua_pushinteger(d->L, (lua_Integer)acc);
        return deliver(d, V_NUMBER);
    }
    if (len >= sizeof small) {
        buf = malloc(len + 1);
        if (buf == NULL) {
            d->reason = "out of memory";
            return 0;
        }
    }
    memcpy(buf, s, len);
    buf[len] = '\0';
    /* strtod follows LC_NUMERIC; JSON always uses '.' */
    dp = localeconv()->decimal_point[0];
    if (dp != '.' && dp != '\0') {
        char *p = strchr(buf, '.');
        if (p != NULL)
            *p = dp;
    }
    v = strtod(buf, NULL);
    if (buf != small)
        free(buf);
    lua_pushnumber(d->L, (lua_Number)v);
    return deliver(d, V_NUMBER);
}

static int on_string(void *ctx, const unsigned char *s, size_t len)
{
    decoder *d = ctx;
    if (!charge_string(d, s, len))
        return 0;
    lua_pushlstring(d->L, (const char *)s, len);
    return deliver(d, V_STRING);
}

/* What a new container is, from the shape and where it sits. */
static unsigned char child_kind(const decoder *d, int is_array)
{
    if (d->depth == 0) {
        if (d->shape == SHAPE_TOKEN && !is_array)
            return K_TOKEN;
        if (d->shape == SHAPE_TOKENS)
            return is_array ? K_TOKENS : K_PAGE;
    } else {
        const frame *p = &d->f[d->depth];
        if (p->kind == K_PAGE && is_array && p->key == 1)
            return K_TOKENS;
        if (p->kind == K_TOKENS && !is_array)
            return K_TOKEN;
        if (p->kind == K_TOKEN && is_array && p->key >= 0) {
            int type = d->model->fields[p->key].type;
            if (type == FT_PRIVILEGES)
                return K_PRIVILEGES;
            if (type == FT_IPS)
                return K_STRINGS;
        }
        if (p->kind == K_PRIVILEGES && !is_array)
            return K_PRIVILEGE;
        if (p->kind == K_PRIVILEGE && is_array && p->key == PK_VIEWS)
            return K_STRINGS;
    }
    return is_array ? K_ARRAY : K_OBJECT;
}

/* Hash slots a list's token and a privilege table start with (the fields a
 * real one ends with); privileges are sized for the first ten of a token. */
#define TOKEN_SLOTS          8
#define PRIVILEGE_SLOTS      4
#define MAX_SIZED_PRIVILEGES 10

/* Pushes a token table with `slots` hash slots and the token metatable,
 * for frame f; 0 when it passes the budget (nothing pushed). */
static int make_token(decoder *d, frame *f, unsigned slots)
{
    f->paid = hash_slots(slots);
    if (!charge(d, COST_TABLE + f->paid * COST_SIZED_SLOT))
        return 0;
    lua_createtable(d->L, 0, (int)slots);
    lua_pushvalue(d->L, d->mt_token);
    lua_setmetatable(d->L, -2);
    return 1;
}

static int open_container(decoder *d, int is_array)
{
    int made = 1;
    unsigned paid = 0;
    lua_State *L = d->L;
    unsigned char kind;
    frame *f;

    if (d->depth >= MISTAPI_DECODE_MAX_DEPTH) {
        d->reason = "nesting too deep";
        return 0;
    }
    /* table + key, and up to 4 more while recording a server key */
    if (!lua_checkstack(L, 8)) {
        d->reason = "Lua stack overflow";
        return 0;
    }
    kind = child_kind(d, is_array);
    f = &d->f[d->depth + 1];
    f->paid = 0;
    switch (kind) {
    case K_TOKEN:
        /* Pre-sized where the count of tokens is bounded (one token, or a
         * list with max_items). A list's token is made by its first key,
         * sized for a real token's fields (no rehash on the way, no slot to
         * spare), and an empty one without slots: an answer of many empty
         * objects can't multiply the pre-sizing, and max_decoded counts
         * every slot made. */
        if (d->depth == 0 || d->max_items > 0) {
            if (!make_token(d, f, 12))
                return 0;
        } else {
            made = 0;
        }
        break;
    case K_PRIVILEGE:
        /* Sized for a privilege's four fields (what a real one ends with:
         * no rehash on the way, no slot to spare), but only the first ten
         * of a token, the model's most: how many tables a hostile answer
         * can make this way is bounded by its tokens, as before. */
        paid = d->f[d->depth].n < MAX_SIZED_PRIVILEGES ? PRIVILEGE_SLOTS : 0;
        if (!charge(d, COST_TABLE + hash_slots(paid) * COST_SIZED_SLOT))
            return 0;
        f->paid = hash_slots(paid);
        lua_createtable(L, 0, (int)paid);
        lua_pushvalue(L, d->mt_privilege);
        lua_setmetatable(L, -2);
        break;
    case K_OBJECT:
    case K_PAGE:
        if (!charge(d, COST_TABLE))
            return 0;
        lua_createtable(L, 0, 0);
        break;
    default:
        /* A token's privileges: room for two, what most tokens hold (one
         * such array a token; max_decoded bounds them all). */
        paid = kind == K_PRIVILEGES ? 2 : 0;
        if (!charge(d, COST_TABLE + paid * COST_ARRAY_SLOT))
            return 0;
        f->paid = paid;
        lua_createtable(L, (int)paid, 0);
        lua_pushvalue(L, d->array_mt);
        lua_setmetatable(L, -2);
        break;
    }
    if (d->depth == 0 && kind == K_TOKEN)
        d->top_token = 1;
    d->depth++;
    f->kind = kind;
    f->made = (unsigned char)made;
    f->is_array = (unsigned char)is_array;
    f->key = -1;
    f->keys = 0;
    f->members = 0;
    f->n = 0;
    return 1;
}

static int on_start_map(void *ctx)
{
    return open_container(ctx, 0);
}

static int on_start_array(void *ctx)
{
    return open_container(ctx, 1);
}

static int on_end(void *ctx)
{
    decoder *d = ctx;
    int vk = d->f[d->depth].is_array ? V_ARRAY : V_OBJECT;
    if (!d->f[d->depth].made && !make_token(d, &d->f[d->depth], 0)) /* an empty token */
        return 0;
    d->depth--;
    return deliver(d, vk);
}

/* Stack: object, key. Adds key to the object's set in server_keys; 0 past
 * the budget. */
static int record_server_key(decoder *d)
{
    lua_State *L = d->L;
    if (!charge(d, COST_HASH_SLOT))
        return 0;
    lua_pushvalue(L, -2);
    lua_rawget(L, d->server_keys);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        /* the set, and its entry in server_keys */
        if (!charge(d, COST_TABLE + COST_HASH_SLOT))
            return 0;
        lua_createtable(L, 0, 2);
        lua_pushvalue(L, -3);
        lua_pushvalue(L, -2);
        lua_rawset(L, d->server_keys);
    }
    lua_pushvalue(L, -2);
    lua_pushboolean(L, 1);
    lua_rawset(L, -3);
    lua_pop(L, 1);
    return 1;
}

/* The names the models know, as Lua strings made once (registry table,
 * filled as they are first met): a privilege's field id at 1 + id, a token
 * model's at key_base + id. Pushing one is a table read, where
 * lua_pushlstring hashes the name and looks it up each time. The same
 * table holds, at 0 and below, the registry's tables a decode uses (see
 * decode_run), so a decode finds them all with one registry read. */
#define KEY_SPAN     64
#define REF_ARRAY_MT      0
#define REF_PRIVILEGE_MT  (-1)
#define REF_SERVER_KEYS   (-2)
#define REF_MODEL_MT(i)   (-3 - (i))
/* its registry key: the address of this constant */
static const char known_keys_anchor = 0;

/* Pushes the name of the field at slot of the known-key table, key/len
 * being its text. */
static void push_known_key(decoder *d, int slot, const char *key, size_t len)
{
    lua_State *L = d->L;
    lua_rawgeti(L, d->known_keys, slot);
    if (lua_type(L, -1) == LUA_TSTRING)
        return;
    lua_pop(L, 1);
    lua_pushlstring(L, key, len);
    lua_pushvalue(L, -1);
    lua_rawseti(L, d->known_keys, slot);
}

static int on_map_key(void *ctx, const unsigned char *k, size_t len)
{
    decoder *d = ctx;
    frame *f = &d->f[d->depth];
    const char *key = (const char *)k;
    int known = 0, unknown = 0;

    if (!f->made) {
        if (!make_token(d, f, TOKEN_SLOTS))
            return 0;
        f->made = 1;
    }
    if (f->kind == K_TOKEN) {
        int pos = f->keys < 255 ? f->keys++ : 255;
        int id = pos < KEY_ORDER ? d->order[pos] : TK_UNKNOWN;
        const mistapi_field *guess = id >= 0 ? &d->model->fields[id] : NULL;
        if (guess == NULL || guess->len != len || memcmp(guess->name, key, len) != 0) {
            id = mistapi_model_key(d->model, key, len);
            if (pos < KEY_ORDER)
                d->order[pos] = (signed char)id;
        }
        f->key = (signed char)id;
        known = id != TK_UNKNOWN;
        unknown = !known;
    } else if (f->kind == K_PRIVILEGE) {
        int id = mistapi_privilege_key(key, len);
        f->key = (signed char)id;
        known = id != PK_UNKNOWN;
        unknown = !known;
    } else if (f->kind == K_PAGE) {
        f->key = (len == 7 && memcmp(key, "results", 7) == 0) ? 1 : -1;
    }
    /* A name the model knows is one short string every token shares. */
    if (known && f->key < KEY_SPAN - 1) {
        push_known_key(d, (f->kind == K_TOKEN ? d->key_base : 1) + f->key, key, len);
        return 1;
    }
    if (!known && !charge_string(d, k, len))
        return 0;
    lua_pushlstring(d->L, key, len);
    if (unknown)
        return record_server_key(d);
    return 1;
}

static const yajl_callbacks callbacks = {
    on_null, on_boolean, NULL, NULL, on_number, on_string,
    on_start_map, on_map_key, on_end, on_start_array, on_end
};

/* yajl's allocator (yajl_alloc_funcs): bump allocation from d->arena, each
 * block after a header holding its size (for realloc); nothing in the arena
 * is freed before the decode ends. */
static int in_arena(const decoder *d, const void *p)
{
    uintptr_t at = (uintptr_t)p, start = (uintptr_t)d->arena.bytes;
    return at >= start && at < start + sizeof d->arena.bytes;
}

static void *yajl_arena_malloc(void *ctx, size_t n)
{
    decoder *d = ctx;
    size_t need = ARENA_ALIGN + (n + ARENA_ALIGN - 1) / ARENA_ALIGN * ARENA_ALIGN;
    if (n <= sizeof d->arena.bytes && need <= sizeof d->arena.bytes - d->arena_used) {
        unsigned char *p = d->arena.bytes + d->arena_used;
        d->arena_used += need;
        memcpy(p, &n, sizeof n);
        return p + ARENA_ALIGN;
    }
    return malloc(n);
}

static void yajl_arena_free(void *ctx, void *p)
{
    if (!in_arena(ctx, p))
        free(p);
}

static void *yajl_arena_realloc(void *ctx, void *p, size_t n)
{
    size_t old;
    void *q;
    if (p == NULL)
        return yajl_arena_malloc(ctx, n);
    if (!in_arena(ctx, p))
        return realloc(p, n);
    memcpy(&old, (unsigned char *)p - ARENA_ALIGN, sizeof old);
    if (n <= old)
        return p;
    q = yajl_arena_malloc(ctx, n);
    if (q != NULL)
        memcpy(q, p, old);
    return q;
}

/* Under lua_pcall: (decoder) -> value. A Lua error (memory) unwinds past
 * yajl; the caller still owns and frees the handle. */
static int decode_run(lua_State *L)
{
    decoder *d = lua_touserdata(L, 1);
    int i, keys;
    d->L = L;
    lua_rawgetp(L, LUA_REGISTRYINDEX, &known_keys_anchor);
    if (!lua_istable(L, -1)) {
        lua_pop(L, 1);
        lua_createtable(L, KEY_SPAN, 0);
        keys = lua_gettop(L);
        luaL_getmetatable(L, MISTAPI_ARRAY_MT);
        lua_rawseti(L, keys, REF_ARRAY_MT);
        luaL_getmetatable(L, MISTAPI_PRIVILEGE_MT);
        lua_rawseti(L, keys, REF_PRIVILEGE_MT);
        lua_getfield(L, LUA_REGISTRYINDEX, MISTAPI_SERVER_KEYS);
        lua_rawseti(L, keys, REF_SERVER_KEYS);
        for (i = 0; mistapi_models[i] != NULL; i++) {
            luaL_getmetatable(L, mistapi_models[i]->metatable);
            lua_rawseti(L, keys, REF_MODEL_MT(i));
        }
        lua_pushvalue(L, keys);
        lua_rawsetp(L, LUA_REGISTRYINDEX, &known_keys_anchor);
    }
    keys = lua_gettop(L);
    if (d->shape != SHAPE_NONE) {
        d->known_keys = keys;
        d->key_base = KEY_SPAN + 1;
        for (i = 0; mistapi_models[i] != NULL && mistapi_models[i] != d->model; i++)
            d->key_base += KEY_SPAN;
        lua_rawgeti(L, keys, REF_MODEL_MT(i));
        d->mt_token = lua_gettop(L);
        lua_rawgeti(L, keys, REF_PRIVILEGE_MT);
        d->mt_privilege = lua_gettop(L);
        lua_rawgeti(L, keys, REF_SERVER_KEYS);
        d->server_keys = lua_gettop(L);
    }
    lua_rawgeti(L, keys, REF_ARRAY_MT);
    d->array_mt = lua_gettop(L);
    if (yajl_parse(d->h, (const unsigned char *)d->text, d->len) != yajl_status_ok) {
        d->failed = 1;
        return 0;
    }
    if (yajl_complete_parse(d->h) != yajl_status_ok) {
        d->failed = 2;
        return 0;
    }
    return 1;
}

/* Where the refused value sits: "[3].privileges[1].role". */
static void push_path(lua_State *L, const decoder *d)
{
    luaL_Buffer b;
    int i;
    luaL_buffinit(L, &b);
    for (i = 1; i <= d->depth; i++) {
        const frame *f = &d->f[i];
        char idx[32];
        switch (f->kind) {
        case K_TOKEN:
        case K_PRIVILEGE:
            if (i > 1)
                luaL_addchar(&b, '.');
            luaL_addstring(&b, f->kind == K_TOKEN ? mistapi_model_key_name(d->model, f->key)
                                                  : mistapi_privilege_key_name(f->key));
            break;
        case K_PAGE:
            luaL_addstring(&b, "results");
            break;
        default:
            snprintf(idx, sizeof idx, "[%ld]", (long)f->n + 1);
            luaL_addstring(&b, idx);
            break;
        }
    }
    luaL_pushresult(&b);
}

/* nil, "JSON: <reason> at byte N", "syntax"; never quotes the text (it may
 * hold a key). */
static int push_syntax_error(lua_State *L, decoder *d)
{
    char reason[128];
    size_t at = d->failed == 1 ? yajl_get_bytes_consumed(d->h) : d->len;

    if (d->reason != NULL) {
        snprintf(reason, sizeof reason, "%s", d->reason);
    } else {
        unsigned char *msg = yajl_get_error(d->h, 0, NULL, 0);
        size_t n;
        snprintf(reason, sizeof reason, "%s", msg != NULL ? (const char *)msg : "invalid JSON");
        if (msg != NULL)
            yajl_free_error(d->h, msg);
        n = strlen(reason);
        while (n > 0 && (reason[n - 1] == '\n' || reason[n - 1] == '.' || reason[n - 1] == ' '))
            reason[--n] = '\0';
    }
    lua_pushnil(L);
    lua_pushfstring(L, "JSON: %s at byte %d", reason, (int)at);
    if (d->over)
        lua_pushliteral(L, "limit");
    else
        lua_pushliteral(L, "syntax");
    return 3;
}

/* nil, "<path>: expected ..., got ...", "model": a field of the wrong type. */
static int push_model_error(lua_State *L, const decoder *d)
{
    size_t n = strlen(d->why);
    int names_kind = n >= 3 && strcmp(d->why + n - 3, "got") == 0;
    lua_pushnil(L);
    push_path(L, d);
    lua_pushfstring(L, ": %s%s%s", d->why, names_kind ? " " : "",
                    names_kind ? mistapi_vkind_name(d->why_kind) : "");
    lua_concat(L, 2);
    lua_pushliteral(L, "model");
    return 3;
}

/* The shape named by argument idx: a model's one ("token") or list
 * ("tokens") shape, which sets *model; SHAPE_NONE when absent. */
static int shape_arg(lua_State *L, int idx, const mistapi_model **model)
{
    const char *name;
    int i;
    *model = NULL;
    if (lua_isnoneornil(L, idx))
        return SHAPE_NONE;
    name = luaL_checkstring(L, idx);
    for (i = 0; mistapi_models[i] != NULL; i++) {
        *model = mistapi_models[i];
        if (strcmp(name, (*model)->one) == 0)
            return SHAPE_TOKEN;
        if (strcmp(name, (*model)->list) == 0)
            return SHAPE_TOKENS;
    }
    return luaL_argerror(L, idx, lua_pushfstring(L, "invalid shape '%s'", name));
}


/* A whole number within [1, max] from field name of the table at idx, or
 * dflt when absent; raises otherwise (misuse). */
static double read_limit(lua_State *L, int idx, const char *name, double max, double dflt)
{
    double v = dflt;
    if (lua_isnoneornil(L, idx))
        return dflt;
    lua_getfield(L, idx, name);
    if (!lua_isnil(L, -1)) {
        v = lua_type(L, -1) == LUA_TNUMBER ? (double)lua_tonumber(L, -1) : -1;
        if (!(v >= 1 && v <= max) || (double)(lua_Integer)v != v)
            luaL_error(L, "decode option %s must be a whole number, at least 1", name);
    }
    lua_pop(L, 1);
    return v;
}

/* By default a few times the text: a real token list counts about 2.5. */
static double default_budget(size_t len)
{
    return (double)MISTAPI_DECODE_BUDGET_FACTOR * (double)len + (double)MISTAPI_DECODE_BUDGET_FLOOR;
}

/* Decodes text by shape (model: its model), under max_items (0: none) and
 * budget, onto the top of the stack: the value (returns 1), or nil,
 * message, why (returns 3). */
static int decode_text(lua_State *L, const char *text, size_t len, int shape,
                       const mistapi_model *model, lua_Integer max_items, size_t budget, int *top_token)
{
    decoder dec, *d = &dec;   /* about 11 KiB of frames and arena, on the C stack */
    yajl_alloc_funcs afs;
    int status;

    d->max_items = max_items;
    d->budget = budget;
    d->made = 0;
    d->over = 0;
    /* A text too short to make its budget's worth is not counted: the same
     * answer is accepted either way (see UNCOUNTED_PER_BYTE). */
    d->counting = len > (budget - (budget < UNCOUNTED_FIXED ? budget : UNCOUNTED_FIXED)) / UNCOUNTED_PER_BYTE;
    d->top_token = 0;
    if (len == 0) {
        lua_pushnil(L);
        lua_pushliteral(L, "JSON: empty input at byte 0");
        lua_pushliteral(L, "syntax");
        return 3;
    }
    d->text = text;
    d->len = len;
    d->shape = shape;
    d->model = model;
    d->depth = 0;
    d->failed = 0;
    d->reason = NULL;
    d->why = NULL;
    memset(d->order, TK_UNKNOWN, sizeof d->order);
    if (d->counting)
        memset(d->seen_hash, 0, sizeof d->seen_hash);
    d->arena_used = 0;
    afs.malloc = yajl_arena_malloc;
    afs.realloc = yajl_arena_realloc;
    afs.free = yajl_arena_free;
    afs.ctx = d;
    d->h = yajl_alloc(&callbacks, &afs, d);
    if (d->h == NULL)
        return luaL_error(L, "JSON: out of memory");
    lua_pushcfunction(L, decode_run);
    lua_pushlightuserdata(L, d);
    status = lua_pcall(L, 1, 1, 0);
    if (status != 0) {
        yajl_free(d->h);
        return lua_error(L);
    }
    if (d->failed) {
        int n;
        lua_pop(L, 1);
        n = d->why != NULL ? push_model_error(L, d) : push_syntax_error(L, d);
        yajl_free(d->h);
        return n;
    }
    yajl_free(d->h);
    if (top_token != NULL)
        *top_token = d->top_token;
    return 1;
}

/* core.decode(text [, shape [, limits]]) -> value | nil, message, why
 * why: "syntax", "model" or "limit" (past limits.max_items or
 * limits.max_decoded, see HACKING.md). */
static int json_decode(lua_State *L)
{
    size_t len;
    const char *text = luaL_checklstring(L, 1, &len);
    const mistapi_model *model;
    int shape = shape_arg(L, 2, &model);
    lua_Integer max_items;
    size_t budget;

    if (!lua_isnoneornil(L, 3))
        luaL_checktype(L, 3, LUA_TTABLE);
    max_items = (lua_Integer)read_limit(L, 3, "max_items", 1e9, 0);
    budget = (size_t)read_limit(L, 3, "max_decoded", 9007199254740992.0, default_budget(len));
    lua_settop(L, 1);
    return decode_text(L, text, len, shape, model, max_items, budget, NULL);
}

int mistapi_decode_object(lua_State *L, const char *text, size_t len, const char *one)
{
    const mistapi_model *model = NULL;
    int i, is_model = 0;
    for (i = 0; mistapi_models[i] != NULL; i++)
        if (strcmp(one, mistapi_models[i]->one) == 0)
            model = mistapi_models[i];
    if (model == NULL)
        return 0;
    if (decode_text(L, text, len, SHAPE_TOKEN, model, 0, (size_t)default_budget(len), &is_model) != 1) {
        lua_pop(L, 3);
        return 0;
    }
    /* one object of the model (made with its metatable); an array, a
     * string or null under the same shape is the caller's to refuse, with
     * the text */
    if (!is_model)
        lua_pop(L, 1);
    return is_model;
}

void mistapi_register_json(lua_State *L)
{
    lua_pushlightuserdata(L, NULL);
    lua_setfield(L, -2, "null");
    lua_pushcfunction(L, json_decode);
    lua_setfield(L, -2, "decode");
    mistapi_json_register_encode(L);
}
