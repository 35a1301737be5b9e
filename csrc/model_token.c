/* The token models and the privilege model as tables of fields (from
 * schema.h: the official spec's org_apitoken, user_apitoken and
 * privilege_org, through lua/mistapi/schema.lua), their metatables,
 * the "keys from the server" table, and registration of the model functions. */
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "model.h"
#include "validate.h"

/* The fields of each model, from schema.h (lua/mistapi/schema.lua). */
#define FIELDS_OF(id, name, one, list, mt) static const mistapi_field id##_fields[] = { MISTAPI_FIELDS_##id };
MISTAPI_MODELS(FIELDS_OF)
#undef FIELDS_OF

#define MODEL(id, name, one, list, mt) \
    static const mistapi_model id = { name, one, list, mt, id##_fields, \
                                      (int)(sizeof id##_fields / sizeof id##_fields[0]) };
MISTAPI_MODELS(MODEL)
#undef MODEL

#define MODEL_REF(id, name, one, list, mt) &id,
const mistapi_model *const mistapi_models[] = { MISTAPI_MODELS(MODEL_REF) NULL };
#undef MODEL_REF

static const mistapi_field privilege_fields[] = { MISTAPI_PRIVILEGE_FIELDS };
const mistapi_model mistapi_privilege_model = {
    MISTAPI_PRIVILEGE_MODEL, NULL, NULL, MISTAPI_PRIVILEGE_MT, privilege_fields,
    (int)(sizeof privilege_fields / sizeof privilege_fields[0])
};

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

int mistapi_privilege_key(const char *k, size_t n)
{
    MISTAPI_PRIVILEGE_KEY_SWITCH
}

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
