/* The token models as tables of fields (from the official spec's
 * org_apitoken and user_apitoken), the privilege model, their metatables,
 * the "keys from the server" table, and registration of the model functions. */
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "model.h"
#include "validate.h"

#define FIELD(lit, type, writable, required) { lit, sizeof(lit) - 1, type, writable, required }

/* org_apitoken: name required; privileges; src_ips (fixed once made); the rest read-only. */
static const mistapi_field org_fields[] = {
    FIELD("name", FT_NAME, 1, 1),
    FIELD("privileges", FT_PRIVILEGES, 1, 0),
    FIELD("src_ips", FT_IPS, 1, 0),
    FIELD("id", FT_STRING, 0, 0),
    FIELD("org_id", FT_STRING, 0, 0),
    FIELD("key", FT_STRING, 0, 0),
    FIELD("created_time", FT_EPOCH, 0, 0),
    FIELD("created_by", FT_STRING, 0, 0),
    FIELD("last_used", FT_EPOCH, 0, 0),
};

/* user_apitoken: a user's own token; only its name is written (the spec
 * requires nothing), it acts with its user's privileges. */
static const mistapi_field user_fields[] = {
    FIELD("name", FT_NAME, 1, 0),
    FIELD("id", FT_STRING, 0, 0),
    FIELD("key", FT_STRING, 0, 0),
    FIELD("created_time", FT_EPOCH, 0, 0),
    FIELD("last_used", FT_EPOCH, 0, 0),
};

#undef FIELD

static const mistapi_model org_apitoken = {
    "org_apitoken", "token", "tokens", MISTAPI_TOKEN_MT,
    org_fields, (int)(sizeof org_fields / sizeof org_fields[0])
};
static const mistapi_model user_apitoken = {
    "user_apitoken", "user_token", "user_tokens", MISTAPI_USER_TOKEN_MT,
    user_fields, (int)(sizeof user_fields / sizeof user_fields[0])
};

const mistapi_model *const mistapi_models[] = { &org_apitoken, &user_apitoken, NULL };

/* Called for every key of every decoded token: the length and the first
 * byte rule out all but one field before any memcmp. */
int mistapi_model_key(const mistapi_model *m, const char *k, size_t n)
{
    int i;
    for (i = 0; i < m->n_fields; i++) {
        const mistapi_field *f = &m->fields[i];
        if (f->len == n && f->name[0] == k[0] && memcmp(f->name, k, n) == 0)
            return i;
    }
    return TK_UNKNOWN;
}

const mistapi_model *mistapi_model_named(const char *name)
{
    int i;
    for (i = 0; mistapi_models[i] != NULL; i++)
        if (strcmp(mistapi_models[i]->name, name) == 0)
            return mistapi_models[i];
    return NULL;
}

void mistapi_model_known(const mistapi_model *m, char *out, size_t outsz)
{
    size_t used = 0;
    int i;
    out[0] = '\0';
    for (i = 0; i < m->n_fields && m->fields[i].writable; i++) {
        int w = snprintf(out + used, outsz - used, "%s%s", i > 0 ? ", " : "", m->fields[i].name);
        if (w < 0 || (size_t)w >= outsz - used)
            return;
        used += (size_t)w;
    }
}

#define IS(lit) (n == sizeof(lit) - 1 && memcmp(k, lit, n) == 0)

int mistapi_privilege_key(const char *k, size_t n)
{
    switch (n) {
    case 4: return IS("role") ? PK_ROLE : PK_UNKNOWN;
    case 5: return IS("scope") ? PK_SCOPE : IS("views") ? PK_VIEWS : PK_UNKNOWN;
    case 6: return IS("org_id") ? PK_ORG_ID : PK_UNKNOWN;
    case 7: return IS("site_id") ? PK_SITE_ID : PK_UNKNOWN;
    case 12: return IS("sitegroup_id") ? PK_SITEGROUP_ID : PK_UNKNOWN;
    default: return PK_UNKNOWN;
    }
}

#undef IS

void mistapi_register_model(lua_State *L)
{
    /* created here so they exist before any decode; the Lua layer adds
     * __tostring and friends */
    int i;
    for (i = 0; mistapi_models[i] != NULL; i++) {
        luaL_newmetatable(L, mistapi_models[i]->metatable);
        lua_pop(L, 1);
    }
    luaL_newmetatable(L, MISTAPI_PRIVILEGE_MT);
    lua_pop(L, 1);

    /* object -> set of key names it got from the server; weak keys, so a
     * decoded table is not kept alive by the record */
    lua_getfield(L, LUA_REGISTRYINDEX, MISTAPI_SERVER_KEYS);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_createtable(L, 0, 1);
        lua_pushliteral(L, "k");
        lua_setfield(L, -2, "__mode");
        lua_setmetatable(L, -2);
        lua_setfield(L, LUA_REGISTRYINDEX, MISTAPI_SERVER_KEYS);
    } else {
        lua_pop(L, 1);
    }
    mistapi_register_token_encode(L);
    mistapi_validate_register(L);
}
