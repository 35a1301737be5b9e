/* Value checks shared by encode_token and the core's is_uuid/check_ip. */
#ifndef MISTAPI_VALIDATE_H
#define MISTAPI_VALIDATE_H

#include <stddef.h>

#include "core.h"
#include "schema.h"

/* Index of s in the schema's roles, scopes (enum mistapi_scope) or views, or -1. */
int mistapi_role_index(const char *s, size_t n);
int mistapi_scope_index(const char *s, size_t n);
int mistapi_view_index(const char *s, size_t n);

int mistapi_is_uuid(const char *s, size_t n);

/* 0 when s is an IPv4/IPv6 address or CIDR; else -1 and a message in msg. */
int mistapi_check_ip(const char *s, size_t n, char *msg, size_t msgsz);

/* s as a short, printable, double-quoted excerpt for messages (long values
 * are cut, so a whole secret can never be echoed). */
void mistapi_quote(char *out, size_t outsz, const char *s, size_t n);

void mistapi_validate_register(lua_State *L);

#endif
