/* The models the C core knows (org_apitoken, user_apitoken, and the
 * privilege_org inside an org token), described as data: each is a table of
 * its fields (name, type, writable, required), made from schema.h, which
 * `make schema` writes from lua/mistapi/schema.lua; a new model or field is
 * a row there, not new code here. */
#ifndef MISTAPI_MODEL_H
#define MISTAPI_MODEL_H

#include <stddef.h>

#include "core.h"
#include "schema.h"

/* What a field holds, which decides how it is checked when decoded and how
 * it is validated and written when encoded. */
enum mistapi_field_type {
    FT_STRING,      /* a string */
    FT_NAME,        /* a token's name: a non-empty string */
    FT_EPOCH,       /* epoch seconds, made an integer when decoded */
    FT_PRIVILEGES,  /* 1 to 10 unique privilege_org objects */
    FT_IPS,         /* at most 10 IPs or CIDRs */
    /* a privilege's */
    FT_ROLE,        /* one of MISTAPI_ROLES, required */
    FT_SCOPE,       /* one of MISTAPI_SCOPES, required */
    FT_SCOPE_ID,    /* a UUID, exactly when the scope is the field's */
    FT_VIEWS        /* an array of MISTAPI_VIEWS, as a set */
};

typedef struct {
    const char *name;
    unsigned char len;        /* strlen(name) */
    unsigned char type;       /* enum mistapi_field_type */
    unsigned char writable;   /* sent in a request body; else dropped */
    unsigned char required;   /* a body must have it (unless opts.require_name is false) */
    signed char scope;        /* FT_SCOPE_ID: the enum mistapi_scope that needs it; else -1 */
} mistapi_field;

#define FIELD(lit, type, writable, required, scope) \
    { lit, sizeof(lit) - 1, type, writable, required, scope }

typedef struct {
    const char *name;         /* the spec's model name: "org_apitoken" */
    const char *one, *list;   /* core.decode's shapes: "token", "tokens" */
    const char *metatable;    /* registry name of its decoded tables' metatable */
    const mistapi_field *fields;   /* writable ones first, in the order they are written */
    int n_fields;
} mistapi_model;

#define TK_UNKNOWN (-1)

/* The token models, NULL-terminated; [0] is org_apitoken, encode_token's default. */
extern const mistapi_model *const mistapi_models[];

/* The field index of key k in m, or TK_UNKNOWN. */
int mistapi_model_key(const mistapi_model *m, const char *k, size_t n);
/* The model with this name, or NULL. */
const mistapi_model *mistapi_model_named(const char *name);
/* Writes "name, privileges, src_ips" (the writable fields) into out. */
void mistapi_model_known(const mistapi_model *m, char *out, size_t outsz);

/* privilege_org, whose keys are enum mistapi_privilege_key (schema.h). */
extern const mistapi_model mistapi_privilege_model;

int mistapi_privilege_key(const char *k, size_t n);

/* What the decoder hands to a container (model_types.c). */
enum mistapi_vkind { V_NULL, V_BOOLEAN, V_NUMBER, V_STRING, V_ARRAY, V_OBJECT };
const char *mistapi_vkind_name(int vk);
const char *mistapi_model_key_name(const mistapi_model *m, int key);
const char *mistapi_privilege_key_name(int key);
/* 1 when the value on top of the stack, of kind vk, fits the field (an epoch
 * may be replaced by an integer); else 0 and *why says what was expected. */
int mistapi_model_field_ok(lua_State *L, const mistapi_model *m, int key, int vk, const char **why);
int mistapi_privilege_field_ok(lua_State *L, int key, int vk, const char **why);

/* core.encode_token (model_encode.c) */
void mistapi_register_token_encode(lua_State *L);

#endif
