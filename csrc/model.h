/* The org_apitoken and privilege_org models as the C core knows them:
 * which keys exist, which are writable. */
#ifndef MISTAPI_MODEL_H
#define MISTAPI_MODEL_H

#include <stddef.h>

#include "core.h"

enum mistapi_token_key {
    TK_UNKNOWN = -1,
    TK_NAME, TK_PRIVILEGES, TK_SRC_IPS,                       /* writable */
    TK_ID, TK_ORG_ID, TK_KEY, TK_CREATED_TIME, TK_CREATED_BY, TK_LAST_USED
};
#define TK_LAST_WRITABLE TK_SRC_IPS

enum mistapi_privilege_key {
    PK_UNKNOWN = -1,
    PK_ROLE, PK_SCOPE, PK_SITE_ID, PK_SITEGROUP_ID, PK_VIEWS,  /* writable */
    PK_ORG_ID
};
#define PK_LAST_WRITABLE PK_VIEWS

int mistapi_token_key(const char *k, size_t n);
int mistapi_privilege_key(const char *k, size_t n);

/* What the decoder hands to a container (model_types.c). */
enum mistapi_vkind { V_NULL, V_BOOLEAN, V_NUMBER, V_STRING, V_ARRAY, V_OBJECT };
const char *mistapi_vkind_name(int vk);
const char *mistapi_token_key_name(int key);
const char *mistapi_privilege_key_name(int key);
/* 1 when the value on top of the stack, of kind vk, fits the field (an epoch
 * may be replaced by an integer); else 0 and *why says what was expected. */
int mistapi_token_field_ok(lua_State *L, int key, int vk, const char **why);
int mistapi_privilege_field_ok(lua_State *L, int key, int vk, const char **why);

/* core.encode_token (model_encode.c) */
void mistapi_register_token_encode(lua_State *L);

#endif
