/* The types the spec gives each field of a decoded token (by its type in
 * the model's table) or privilege, so a script never meets `privileges` as
 * a string or an epoch as an object.
 * Epochs become integers: an integral float is converted, a fraction is
 * dropped (epoch seconds), a value past 2^53 or below 0 is refused. */
#include <math.h>

#include "model.h"

static const char *const vkind_names[] = {
    "null", "boolean", "number", "string", "an array", "an object"
};

const char *mistapi_vkind_name(int vk)
{
    return vkind_names[vk];
}

const char *mistapi_model_key_name(const mistapi_model *m, int key)
{
    return key >= 0 && key < m->n_fields ? m->fields[key].name : "?";
}

const char *mistapi_privilege_key_name(int key)
{
    return mistapi_model_key_name(&mistapi_privilege_model, key);
}

/* 2^53: exact in a double, and far past any real epoch. */
#define MAX_EPOCH 9007199254740992.0

/* The number on top of the stack as epoch seconds, replaced by an integer. */
static int epoch_ok(lua_State *L, int vk, const char **why)
{
    lua_Number v;
    if (vk == V_NULL)
        return 1;
    if (vk != V_NUMBER) {
        *why = "expected an epoch in seconds, got";
        return 0;
    }
#if LUA_VERSION_NUM >= 503
    if (lua_isinteger(L, -1)) {
        lua_Integer i = lua_tointeger(L, -1);
        if (i >= 0 && (lua_Number)i < MAX_EPOCH)
            return 1;
        *why = "expected an epoch in seconds, got a number out of range";
        return 0;
    }
#endif
    v = lua_tonumber(L, -1);
    if (!(v >= 0 && v < MAX_EPOCH)) {   /* NaN fails too */
        *why = "expected an epoch in seconds, got a number out of range";
        return 0;
    }
    lua_pop(L, 1);
    lua_pushinteger(L, (lua_Integer)floor(v));
    return 1;
}

static int kind_ok(int vk, int want, const char **why)
{
    if (vk == V_NULL || vk == want)
        return 1;
    *why = want == V_STRING ? "expected a string, got" : "expected an array, got";
    return 0;
}

int mistapi_model_field_ok(lua_State *L, const mistapi_model *m, int key, int vk, const char **why)
{
    if (key < 0)
        return 1;
    switch (m->fields[key].type) {
    case FT_EPOCH:
        return epoch_ok(L, vk, why);
    case FT_PRIVILEGES:
    case FT_IPS:
    case FT_VIEWS:
        return kind_ok(vk, V_ARRAY, why);
    default:
        return kind_ok(vk, V_STRING, why);
    }
}

int mistapi_privilege_field_ok(lua_State *L, int key, int vk, const char **why)
{
    /* a privilege holds strings and the views' array (no epoch: L unused) */
    (void)L;
    if (key < 0)
        return 1;
    return kind_ok(vk, mistapi_privilege_model.fields[key].type == FT_VIEWS ? V_ARRAY : V_STRING, why);
}
