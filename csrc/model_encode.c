/* core.encode_token: validates a create/update body against a token model
 * (org_apitoken by default, or opts.model) and writes it, its writable
 * fields in the model's order. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "json.h"
#include "model.h"
#include "validate.h"

#define MAX_PRIVILEGES MISTAPI_MAX_PRIVILEGES

typedef struct {
    const mistapi_model *model;
    int require_name;
    int pass_unknown;
    int server_keys;        /* stack index of the registry's record */
} token_opts;

/* What makes two privileges equal (views compared as a set). */
typedef struct {
    int role, scope;
    const char *ids[MISTAPI_PRIVILEGE_SCOPE_IDS];   /* site_id...; anchored by the caller's table */
    unsigned views;
} privilege_sig;


typedef struct {
    const char *s;
    size_t n;
} key_ref;

/* Pushes t[name] (raw), with core.null read as nil; returns its type. */
static int get_field(lua_State *L, int t, const char *name)
{
    lua_pushstring(L, name);
    lua_rawget(L, t);
    if (lua_type(L, -1) == LUA_TLIGHTUSERDATA && lua_touserdata(L, -1) == NULL) {
        lua_pop(L, 1);
        lua_pushnil(L);
    }
    return lua_type(L, -1);
}

/* Did the key at kidx come from the server for the table at t? */
static int from_server(lua_State *L, const token_opts *o, int t, int kidx)
{
    int yes = 0;
    lua_pushvalue(L, t);
    lua_rawget(L, o->server_keys);
    if (lua_type(L, -1) == LUA_TTABLE) {
        lua_pushvalue(L, kidx);
        lua_rawget(L, -2);
        yes = lua_toboolean(L, -1);
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    return yes;
}

static int key_cmp(const void *a, const void *b)
{
    const key_ref *x = a, *y = b;
    int c = memcmp(x->s, y->s, x->n < y->n ? x->n : y->n);
    return c != 0 ? c : (x->n > y->n) - (x->n < y->n);
}

/* A key's index in the model m (the privilege's by its switch). */
static int classify(const mistapi_model *m, const char *k, size_t n)
{
    return m == &mistapi_privilege_model ? mistapi_privilege_key(k, n) : mistapi_model_key(m, k, n);
}

/* Checks the keys of the table at t (a token of model m, or a privilege):
 * strings, and none unknown unless it came from the server
 * or opts.pass_unknown. Counts the ones to pass on. */
static int scan_keys(mistapi_enc *e, const token_opts *o, int t, const mistapi_model *m,
                     size_t *n_pass)
{
    lua_State *L = e->L;
    key_ref first = { NULL, 0 };

    *n_pass = 0;
    lua_pushnil(L);
    while (lua_next(L, t) != 0) {
        key_ref k;
        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TSTRING) {
            char what[64];
            mistapi_describe_key(L, -1, what, sizeof what);
            return mistapi_enc_fail(e, "field names must be strings, got %s", what);
        }
        k.s = lua_tolstring(L, -1, &k.n);
        if (classify(m, k.s, k.n) >= 0 || from_server(L, o, t, lua_gettop(L)))
            continue;
        (*n_pass)++;
        /* report the smallest name, so the message does not depend on
         * the table's traversal order */
        if (first.s == NULL || key_cmp(&k, &first) < 0)
            first = k;
    }
    if (first.s != NULL && !o->pass_unknown) {
        char q[64], known[128];
        mistapi_quote(q, sizeof q, first.s, first.n);
        mistapi_model_known(m, known, sizeof known);
        return mistapi_enc_fail(e, "unknown field %s (known: %s)", q, known);
    }
    return 0;
}

/* Writes the caller's unknown fields of the table at t, sorted by name. */
static int write_unknown(mistapi_enc *e, const token_opts *o, int t, const mistapi_model *m,
                         size_t count, int depth)
{
    lua_State *L = e->L;
    key_ref *keys;
    size_t n = 0, i;

    if (count == 0)
        return 0;
    keys = lua_newuserdatauv(L, count * sizeof *keys, 0);
    lua_pushnil(L);
    while (lua_next(L, t) != 0) {
        lua_pop(L, 1);
        if (n < count) {
            key_ref k;
            k.s = lua_tolstring(L, -1, &k.n);
            if (classify(m, k.s, k.n) < 0 && !from_server(L, o, t, lua_gettop(L)))
                keys[n++] = k;
        }
    }
    qsort(keys, n, sizeof *keys, key_cmp);
    for (i = 0; i < n; i++) {
        size_t mark;
        if (mistapi_enc_string(e, keys[i].s, keys[i].n) != 0)
            return -1;
        mark = mistapi_path_key(e, keys[i].s, keys[i].n);
        lua_pushlstring(L, keys[i].s, keys[i].n);
        lua_rawget(L, t);
        if (mistapi_enc_value(e, lua_gettop(L), depth) != 0)
            return -1;
        lua_pop(L, 1);
        mistapi_path_pop(e, mark);
    }
    lua_pop(L, 1);
    return 0;
}

static int write_key(mistapi_enc *e, const char *k)
{
    return mistapi_enc_string(e, k, strlen(k));
}

/* Done with the field on top of the stack: pops it and its path entry. */
static int leave_field(mistapi_enc *e, size_t mark)
{
    lua_pop(e->L, 1);
    mistapi_path_pop(e, mark);
    return 0;
}

/* A required enum string at t[name]: a role or a scope. */
static int check_enum(mistapi_enc *e, int t, const char *name, int (*index)(const char *, size_t),
                      const char *allowed, int *out)
{
    lua_State *L = e->L;
    size_t mark = mistapi_path_key(e, name, strlen(name)), n;
    const char *s;
    int type = get_field(L, t, name);

    if (type == LUA_TNIL)
        return mistapi_enc_fail(e, "required");
    if (type != LUA_TSTRING)
        return mistapi_enc_fail(e, "expected a string, got %s", mistapi_type_name(L, -1));
    s = lua_tolstring(L, -1, &n);
    *out = index(s, n);
    if (*out < 0) {
        char q[64];
        mistapi_quote(q, sizeof q, s, n);
        return mistapi_enc_fail(e, "%s is not one of %s", q, allowed);
    }
    if (write_key(e, name) != 0 || mistapi_enc_string(e, s, n) != 0)
        return -1;
    return leave_field(e, mark);
}

/* A scope id (site_id...): a UUID exactly when the scope asks for it. */
static int check_scope_id(mistapi_enc *e, int t, const char *name, int needed,
                          const char *scope_name, const char **out)
{
    lua_State *L = e->L;
    size_t mark = mistapi_path_key(e, name, strlen(name)), n;
    const char *s;
    int type = get_field(L, t, name);

    *out = NULL;
    if (!needed) {
        if (type != LUA_TNIL)
            return mistapi_enc_fail(e, "not allowed when scope is %s", scope_name);
        return leave_field(e, mark);
    }
    if (type == LUA_TNIL) {
        return mistapi_enc_fail(e, "required when scope is %s", scope_name);
    }
    if (type != LUA_TSTRING)
        return mistapi_enc_fail(e, "expected a string, got %s", mistapi_type_name(L, -1));
    s = lua_tolstring(L, -1, &n);
    if (!mistapi_is_uuid(s, n)) {
        char q[64];
        mistapi_quote(q, sizeof q, s, n);
        return mistapi_enc_fail(e, "%s is not a UUID", q);
    }
    if (write_key(e, name) != 0 || mistapi_enc_string(e, s, n) != 0)
        return -1;
    *out = s;
    return leave_field(e, mark);
}

/* Enters the array field t[name]: its path entry, and the array pushed with
 * its length in *n. 1: entered; 0: absent (nothing left behind); -1: failed. */
static int enter_array(mistapi_enc *e, int t, const char *name, const char *expected,
                       size_t *n, size_t *mark)
{
    lua_State *L = e->L;
    int type;

    *mark = mistapi_path_key(e, name, strlen(name));
    type = get_field(L, t, name);
    if (type == LUA_TNIL)
        return leave_field(e, *mark);
    if (type != LUA_TTABLE)
        return mistapi_enc_fail(e, "expected %s, got %s", expected, mistapi_type_name(L, -1));
    if (!mistapi_table_is_array(e, lua_gettop(L), 1, n))
        return mistapi_enc_fail(e, "expected %s, got a table that is not an array", expected);
    return 1;
}

/* Writes `"name": [`. */
static int open_array(mistapi_enc *e, const char *name)
{
    if (write_key(e, name) != 0)
        return -1;
    return mistapi_enc_status(e, yajl_gen_array_open(e->g));
}

/* Writes `]` and leaves the array field. */
static int close_array(mistapi_enc *e, size_t mark)
{
    if (mistapi_enc_status(e, yajl_gen_array_close(e->g)) != 0)
        return -1;
    return leave_field(e, mark);
}

/* Pushes item i of the array at a, which must be a string; NULL: failed. */
static const char *string_item(mistapi_enc *e, int a, size_t i, size_t *len)
{
    lua_State *L = e->L;
    lua_rawgeti(L, a, (lua_Integer)i);
    if (lua_type(L, -1) != LUA_TSTRING) {
        mistapi_enc_fail(e, "expected a string, got %s", mistapi_type_name(L, -1));
        return NULL;
    }
    return lua_tolstring(L, -1, len);
}

static int check_views(mistapi_enc *e, int t, const char *name, unsigned *mask)
{
    size_t mark, n, i;
    int got = enter_array(e, t, name, "an array of strings", &n, &mark), a;

    *mask = 0;
    if (got <= 0)
        return got;
    a = lua_gettop(e->L);
    if (open_array(e, name) != 0)
        return -1;
    for (i = 1; i <= n; i++) {
        size_t imark = mistapi_path_index(e, (long long)i), len;
        const char *s = string_item(e, a, i, &len);
        int v;
        if (s == NULL)
            return -1;
        v = mistapi_view_index(s, len);
        if (v < 0) {
            char q[64];
            mistapi_quote(q, sizeof q, s, len);
            return mistapi_enc_fail(e, "%s is not one of %s", q, MISTAPI_VIEWS);
        }
        *mask |= 1u << v;
        if (mistapi_enc_string(e, s, len) != 0)
            return -1;
        leave_field(e, imark);
    }
    return close_array(e, mark);
}

/* Writes the privilege at t by the schema's privilege fields, in their
 * order (the scope before the ids it decides). */
static int write_privilege(mistapi_enc *e, const token_opts *o, int t, privilege_sig *sig)
{
    static const char *const scope_names[] = { MISTAPI_SCOPE_NAMES };
    const mistapi_model *m = &mistapi_privilege_model;
    size_t n_pass;
    int i, ids = 0, r = 0;

    if (scan_keys(e, o, t, m, &n_pass) != 0)
        return -1;
    if (mistapi_enc_status(e, yajl_gen_map_open(e->g)) != 0)
        return -1;
    for (i = 0; r == 0 && i < m->n_fields && m->fields[i].writable; i++) {
        const mistapi_field *f = &m->fields[i];
        switch (f->type) {
        case FT_ROLE:
            r = check_enum(e, t, f->name, mistapi_role_index, MISTAPI_ROLES, &sig->role);
            break;
        case FT_SCOPE:
            r = check_enum(e, t, f->name, mistapi_scope_index, MISTAPI_SCOPES, &sig->scope);
            break;
        case FT_SCOPE_ID:
            r = check_scope_id(e, t, f->name, sig->scope == f->scope, scope_names[sig->scope],
                               &sig->ids[ids++]);
            break;
        case FT_VIEWS:
            r = check_views(e, t, f->name, &sig->views);
            break;
        default:
            r = mistapi_enc_fail(e, "%s: no writer for this field", f->name);
        }
    }
    if (r != 0)
        return -1;
    if (o->pass_unknown && write_unknown(e, o, t, m, n_pass, 3) != 0)
        return -1;
    return mistapi_enc_status(e, yajl_gen_map_close(e->g));
}

static int same_id(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        return a == b;
    return strncasecmp(a, b, 36) == 0;   /* both checked UUIDs */
}

static int same_privilege(const privilege_sig *a, const privilege_sig *b)
{
    int i;
    if (a->role != b->role || a->scope != b->scope || a->views != b->views)
        return 0;
    for (i = 0; i < MISTAPI_PRIVILEGE_SCOPE_IDS; i++)
        if (!same_id(a->ids[i], b->ids[i]))
            return 0;
    return 1;
}

static int write_privileges(mistapi_enc *e, const token_opts *o, int t, const char *name)
{
    lua_State *L = e->L;
    privilege_sig sigs[MAX_PRIVILEGES];
    size_t mark, n, i, j;
    int got = enter_array(e, t, name, "an array of objects", &n, &mark), a;

    if (got <= 0)
        return got;
    if (n < MISTAPI_MIN_PRIVILEGES || n > MAX_PRIVILEGES)
        return mistapi_enc_fail(e, "must have %d to %d items, got %lu", MISTAPI_MIN_PRIVILEGES, MAX_PRIVILEGES,
                                (unsigned long)n);
    a = lua_gettop(L);
    if (open_array(e, name) != 0)
        return -1;
    for (i = 0; i < n; i++) {
        size_t imark = mistapi_path_index(e, (long long)i + 1);
        lua_rawgeti(L, a, (lua_Integer)i + 1);
        if (lua_type(L, -1) != LUA_TTABLE)
            return mistapi_enc_fail(e, "expected an object, got %s", mistapi_type_name(L, -1));
        if (write_privilege(e, o, lua_gettop(L), &sigs[i]) != 0)
            return -1;
        for (j = 0; j < i; j++)
            if (same_privilege(&sigs[i], &sigs[j]))
                return mistapi_enc_fail(e, "duplicates privileges[%lu]", (unsigned long)j + 1);
        leave_field(e, imark);
    }
    return close_array(e, mark);
}

static int write_ips(mistapi_enc *e, int t, const char *name)
{
    size_t mark, n, i;
    int got = enter_array(e, t, name, "an array of strings", &n, &mark), a;

    if (got <= 0)
        return got;
    if (n > MISTAPI_MAX_SRC_IPS)
        return mistapi_enc_fail(e, "must have at most %d items, got %lu", MISTAPI_MAX_SRC_IPS,
                                (unsigned long)n);
    a = lua_gettop(e->L);
    if (open_array(e, name) != 0)
        return -1;
    for (i = 1; i <= n; i++) {
        size_t imark = mistapi_path_index(e, (long long)i), len;
        const char *s = string_item(e, a, i, &len);
        char msg[128];
        if (s == NULL)
            return -1;
        if (mistapi_check_ip(s, len, msg, sizeof msg) != 0)
            return mistapi_enc_fail(e, "%s", msg);
        if (mistapi_enc_string(e, s, len) != 0)
            return -1;
        leave_field(e, imark);
    }
    return close_array(e, mark);
}

static int write_name(mistapi_enc *e, const token_opts *o, int t, const mistapi_field *f)
{
    lua_State *L = e->L;
    size_t mark = mistapi_path_key(e, f->name, f->len), n;
    const char *s;
    int type = get_field(L, t, f->name);

    if (type == LUA_TNIL) {
        if (f->required && o->require_name)
            return mistapi_enc_fail(e, "required");
        return leave_field(e, mark);
    }
    if (type != LUA_TSTRING)
        return mistapi_enc_fail(e, "expected a string, got %s", mistapi_type_name(L, -1));
    s = lua_tolstring(L, -1, &n);
    if (n == 0)
        return mistapi_enc_fail(e, "must not be empty");
    if (write_key(e, f->name) != 0 || mistapi_enc_string(e, s, n) != 0)
        return -1;
    return leave_field(e, mark);
}

/* Writes the writable field f of the token at t, by its type. */
static int write_field(mistapi_enc *e, const token_opts *o, int t, const mistapi_field *f)
{
    switch (f->type) {
    case FT_NAME:
        return write_name(e, o, t, f);
    case FT_PRIVILEGES:
        return write_privileges(e, o, t, f->name);
    case FT_IPS:
        return write_ips(e, t, f->name);
    default:
        return mistapi_enc_fail(e, "%s: no writer for this field", f->name);
    }
}

/* Under lua_pcall (json.h): the token is at stack index 2. */
static int write_token(mistapi_enc *e, void *arg)
{
    token_opts *o = arg;
    lua_State *L = e->L;
    const int t = 2;
    const mistapi_model *m = o->model;
    size_t n_pass;
    int i;

    if (!lua_checkstack(L, 16))
        return mistapi_enc_fail(e, "Lua stack overflow");
    lua_getfield(L, LUA_REGISTRYINDEX, MISTAPI_SERVER_KEYS);
    o->server_keys = lua_gettop(L);
    if (scan_keys(e, o, t, m, &n_pass) != 0)
        return -1;
    if (mistapi_enc_status(e, yajl_gen_map_open(e->g)) != 0)
        return -1;
    for (i = 0; i < m->n_fields && m->fields[i].writable; i++)
        if (write_field(e, o, t, &m->fields[i]) != 0)
            return -1;
    if (o->pass_unknown && write_unknown(e, o, t, m, n_pass, 1) != 0)
        return -1;
    return mistapi_enc_status(e, yajl_gen_map_close(e->g));
}

static int opt_boolean(lua_State *L, const char *name, int dflt)
{
    int v = dflt;
    lua_getfield(L, 2, name);
    if (lua_type(L, -1) == LUA_TBOOLEAN)
        v = lua_toboolean(L, -1);
    else if (!lua_isnil(L, -1))
        luaL_error(L, "bad argument #2 to 'encode_token' (opts.%s must be a boolean)", name);
    lua_pop(L, 1);
    return v;
}

/* core.encode_token(tbl [, opts]) -> JSON text | nil, message */
static int encode_token(lua_State *L)
{
    token_opts o;
    luaL_checktype(L, 1, LUA_TTABLE);
    o.model = mistapi_models[0];
    o.require_name = 1;
    o.pass_unknown = 0;
    o.server_keys = 0;
    if (!lua_isnoneornil(L, 2)) {
        luaL_checktype(L, 2, LUA_TTABLE);
        o.require_name = opt_boolean(L, "require_name", 1);
        o.pass_unknown = opt_boolean(L, "pass_unknown", 0);
        lua_getfield(L, 2, "model");
        if (lua_type(L, -1) == LUA_TSTRING) {
            o.model = mistapi_model_named(lua_tostring(L, -1));
            if (o.model == NULL)
                return luaL_error(L, "bad argument #2 to 'encode_token' (opts.model: no model '%s')",
                                  lua_tostring(L, -1));
        } else if (!lua_isnil(L, -1)) {
            return luaL_error(L, "bad argument #2 to 'encode_token' (opts.model must be a string)");
        }
        lua_pop(L, 1);
    }
    return mistapi_encode_run(L, 1, 0, write_token, &o);
}

void mistapi_register_token_encode(lua_State *L)
{
    lua_pushcfunction(L, encode_token);
    lua_setfield(L, -2, "encode_token");
}
