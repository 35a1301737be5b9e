/* Mist's vocabulary and token models for the C core. Generated from
 * lua/mistapi/schema.lua by tools/gen_schema.lua (make schema): edit the
 * schema, not this file. */
#ifndef MISTAPI_SCHEMA_H
#define MISTAPI_SCHEMA_H

/* Each list of names: its items (an initializer), as one line for messages. */
#define MISTAPI_ROLE_NAMES "admin", "helpdesk", "installer", "read", "write"
#define MISTAPI_ROLES "admin, helpdesk, installer, read, write"
#define MISTAPI_SCOPE_NAMES "org", "site", "sitegroup"
#define MISTAPI_SCOPES "org, site, sitegroup"
#define MISTAPI_VIEW_NAMES "lobby_admin", "location", "marketing", "mxedge_admin", "reporting", "security", "super_observer", "switch_admin"
#define MISTAPI_VIEWS "lobby_admin, location, marketing, mxedge_admin, reporting, security, super_observer, switch_admin"

enum mistapi_scope { SCOPE_ORG, SCOPE_SITE, SCOPE_SITEGROUP };

#define MISTAPI_MIN_PRIVILEGES 1
#define MISTAPI_MAX_PRIVILEGES 10
#define MISTAPI_MAX_SRC_IPS 10

/* privilege_org: the keys, writable ones first. */
enum mistapi_privilege_key { PK_UNKNOWN = -1, PK_ROLE, PK_SCOPE, PK_SITE_ID, PK_SITEGROUP_ID, PK_VIEWS, PK_ORG_ID };
#define MISTAPI_PRIVILEGE_MODEL "privilege_org"
#define MISTAPI_PRIVILEGE_MT "mistapi.Privilege"
#define MISTAPI_PRIVILEGE_KNOWN "role, scope, site_id, sitegroup_id, views"
#define MISTAPI_PRIVILEGE_SCOPE_IDS 2
#define MISTAPI_PRIVILEGE_FIELDS \
    FIELD("role", FT_ROLE, 1, 1, -1), \
    FIELD("scope", FT_SCOPE, 1, 1, -1), \
    FIELD("site_id", FT_SCOPE_ID, 1, 0, 1), \
    FIELD("sitegroup_id", FT_SCOPE_ID, 1, 0, 2), \
    FIELD("views", FT_VIEWS, 1, 0, -1), \
    FIELD("org_id", FT_STRING, 0, 0, -1)

/* The body of a function (const char *k, size_t n) -> enum mistapi_privilege_key. */
#define MISTAPI_PRIVILEGE_KEY_SWITCH \
    switch (n) { \
    case 4: return memcmp(k, "role", 4) == 0 ? PK_ROLE : PK_UNKNOWN; \
    case 5: return memcmp(k, "scope", 5) == 0 ? PK_SCOPE : memcmp(k, "views", 5) == 0 ? PK_VIEWS : PK_UNKNOWN; \
    case 6: return memcmp(k, "org_id", 6) == 0 ? PK_ORG_ID : PK_UNKNOWN; \
    case 7: return memcmp(k, "site_id", 7) == 0 ? PK_SITE_ID : PK_UNKNOWN; \
    case 12: return memcmp(k, "sitegroup_id", 12) == 0 ? PK_SITEGROUP_ID : PK_UNKNOWN; \
    default: return PK_UNKNOWN; \
    }

/* The token models: MISTAPI_MODELS(M) is M(ident, name, one, list, metatable)
 * for each, the first being encode_token's default; MISTAPI_FIELDS_<ident>
 * its fields, writable ones first. FIELD(name, type, writable, required, scope). */
#define MISTAPI_FIELDS_org_apitoken \
    FIELD("name", FT_NAME, 1, 1, -1), \
    FIELD("privileges", FT_PRIVILEGES, 1, 0, -1), \
    FIELD("src_ips", FT_IPS, 1, 0, -1), \
    FIELD("id", FT_STRING, 0, 0, -1), \
    FIELD("org_id", FT_STRING, 0, 0, -1), \
    FIELD("created_time", FT_EPOCH, 0, 0, -1), \
    FIELD("created_by", FT_STRING, 0, 0, -1), \
    FIELD("last_used", FT_EPOCH, 0, 0, -1), \
    FIELD("key", FT_STRING, 0, 0, -1)
#define MISTAPI_FIELDS_user_apitoken \
    FIELD("name", FT_NAME, 1, 0, -1), \
    FIELD("id", FT_STRING, 0, 0, -1), \
    FIELD("created_time", FT_EPOCH, 0, 0, -1), \
    FIELD("last_used", FT_EPOCH, 0, 0, -1), \
    FIELD("key", FT_STRING, 0, 0, -1)
#define MISTAPI_MODELS(M) \
    M(org_apitoken, "org_apitoken", "token", "tokens", "mistapi.Token") \
    M(user_apitoken, "user_apitoken", "user_token", "user_tokens", "mistapi.UserToken")

#endif
