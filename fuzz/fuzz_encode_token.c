/* core.encode_token on tables built from the fuzz input: the input is
 * decoded (generic and as a server token of each model), then encoded by
 * that model with pass_unknown off and on, require_name on and off. It answers JSON text that decodes
 * again into an object, or `nil, message`; it never raises on a table. */
#include "lua_host.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static void encode_token(lua_State *L, int value, const char *model, int pass_unknown, int require_name)
{
    fuzz_core_fn(L, "encode_token");
    lua_pushvalue(L, value);
    lua_createtable(L, 0, 3);
    lua_pushstring(L, model);
    lua_setfield(L, -2, "model");
    lua_pushboolean(L, pass_unknown);
    lua_setfield(L, -2, "pass_unknown");
    lua_pushboolean(L, require_name);
    lua_setfield(L, -2, "require_name");
    fuzz_call(L, 2, 2, "encode_token");
    if (lua_isstring(L, -2)) {
        fuzz_core_fn(L, "decode");
        lua_pushvalue(L, -3);
        fuzz_call(L, 1, 2, "decode of encode_token's text");
        fuzz_require(lua_istable(L, -2), "encode_token writes a JSON object");
        lua_pop(L, 2);
    } else {
        fuzz_require(lua_isnil(L, -2) && lua_isstring(L, -1), "encode_token fails with nil, message");
    }
    lua_pop(L, 2);
}

static void from_shape(lua_State *L, const unsigned char *data, size_t size, const char *shape,
                       const char *model)
{
    int value;
    fuzz_push_decode(L, data, size, shape);
    fuzz_call(L, 2, 1, "decode");
    value = lua_gettop(L);
    if (lua_istable(L, value)) {
        encode_token(L, value, model, 0, 1);
        encode_token(L, value, model, 1, 1);
        encode_token(L, value, model, 0, 0);
        encode_token(L, value, model, 1, 0);
    }
    lua_pop(L, 1);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    lua_State *L = fuzz_lua();
    from_shape(L, data, size, NULL, "org_apitoken");
    from_shape(L, data, size, "token", "org_apitoken");
    from_shape(L, data, size, NULL, "user_apitoken");
    from_shape(L, data, size, "user_token", "user_apitoken");
    fuzz_reset(L);
    return 0;
}
