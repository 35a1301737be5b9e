/* Value checks shared by encode_token and the core's is_uuid/check_ip. */
#ifndef MISTAPI_VALIDATE_H
#define MISTAPI_VALIDATE_H

#include <stddef.h>

#include "core.h"

#define MISTAPI_ROLES "admin, helpdesk, installer, read, write"
#define MISTAPI_SCOPES "org, site, sitegroup"
#define MISTAPI_VIEWS "lobby_admin, location, marketing, mxedge_admin, reporting, " \
                      "security, super_observer, switch_admin"

enum mistapi_scope { SCOPE_ORG, SCOPE_SITE, SCOPE_SITEGROUP };

/* Index of s in the enum (roles, scopes, views), or -1. */
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
