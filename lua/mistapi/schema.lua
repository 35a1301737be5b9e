--- Mist's vocabulary and the token models, stated once (from the OpenAPI
-- documents in api/: org_apitoken, user_apitoken, privilege_org). Plain data,
-- no require and no code, so that every reader loads the same file: the C
-- core (through csrc/schema.h, which `make schema` writes from it), the Lua
-- layer, the CLI and its completion, display, and the emulator inside nginx.
-- Adding a view, a role or a field is an edit here, then `make schema`;
-- spec/09-schema_spec.lua fails while csrc/schema.h is stale or while a
-- reader keeps a copy of its own.
--
-- A field: `name`; `type` (how it is checked, written and shown: string,
-- name, epoch, privileges, ips; a privilege's role, scope, scope_id, views);
-- `writable` (sent in a request body; else read-only and dropped when
-- written); `required` (a create body must have it); `nullable` (the API
-- answers null when it has no value); `scope` (a scope_id field: the scope
-- that needs it); `secret` (shown masked). A model's fields are in the order
-- a JSON answer is shown (`--json`); the core writes its writable ones in
-- that order too.
-- `columns` is what a table of tokens and a token's one line show (`label`:
-- its word on the one line; `none`: the text for no value), `details` what
-- the CLI shows of one token (`label`: the text before its value).
-- @module mistapi.schema

return {
  -- privilege_org_role
  roles = { "admin", "helpdesk", "installer", "read", "write" },
  -- privilege_org_scope
  scopes = { "org", "site", "sitegroup" },
  -- admin_privilege_view: UI views a privilege may be limited to
  views = {
    "lobby_admin", "location", "marketing", "mxedge_admin", "reporting", "security",
    "super_observer", "switch_admin",
  },

  limits = {
    privileges_min = 1,    -- org_apitoken_privileges minItems
    privileges_max = 10,   -- org_apitoken_privileges maxItems
    src_ips_max = 10,      -- org_apitoken_src_ips: "at most 10 IP addresses"
    name_max = 256,        -- Mist's answer for a longer name (the emulator's check; the spec states none)
  },

  -- privilege_org: one privilege of an org token. Two privileges with the
  -- same role, scope, scope id (case-insensitive) and set of views are equal.
  privilege = {
    name = "privilege_org",
    metatable = "mistapi.Privilege",
    fields = {
      { name = "role", type = "role", writable = true, required = true },
      { name = "scope", type = "scope", writable = true, required = true },
      { name = "site_id", type = "scope_id", scope = "site", writable = true },
      { name = "sitegroup_id", type = "scope_id", scope = "sitegroup", writable = true },
      { name = "views", type = "views", writable = true },
      { name = "org_id", type = "string" },
    },
  },

  -- The token models; the first is core.encode_token's default. `one` and
  -- `list` name core.decode's shapes, `metatable` the registry name of its
  -- decoded tables' metatable.
  models = {
    {
      name = "org_apitoken", one = "token", list = "tokens", metatable = "mistapi.Token",
      fields = {
        { name = "id", type = "string" },
        { name = "name", type = "name", writable = true, required = true },
        { name = "org_id", type = "string" },
        { name = "privileges", type = "privileges", writable = true },
        { name = "src_ips", type = "ips", writable = true },   -- fixed once the token exists
        { name = "created_time", type = "epoch" },
        { name = "created_by", type = "string", nullable = true },
        { name = "last_used", type = "epoch", nullable = true },
        { name = "key", type = "string", secret = true },   -- masked but at create
      },
      columns = {
        { "name", "NAME" }, { "id", "ID" }, { "privileges", "PRIVILEGES" },
        { "created_time", "CREATED", label = "created" },
        { "last_used", "LAST USED", label = "last used", none = "never" },
        { "key", "KEY", label = "key" },
      },
      details = {
        { "name" }, { "id" }, { "privileges" }, { "src_ips" }, { "created_time", label = "created" },
        { "created_by" }, { "last_used", none = "never" }, { "key" },
      },
    },
    {
      -- a user's own token: only its name is written (the spec requires
      -- nothing); it acts with its user's privileges
      name = "user_apitoken", one = "user_token", list = "user_tokens", metatable = "mistapi.UserToken",
      fields = {
        { name = "id", type = "string" },
        { name = "name", type = "name", writable = true },
        { name = "created_time", type = "epoch" },
        { name = "last_used", type = "epoch", nullable = true },
        { name = "key", type = "string", secret = true },
      },
      columns = {
        { "name", "NAME" }, { "id", "ID" },
        { "created_time", "CREATED", label = "created" },
        { "last_used", "LAST USED", label = "last used", none = "never" },
        { "key", "KEY", label = "key" },
      },
      details = {
        { "name" }, { "id" }, { "created_time", label = "created" }, { "last_used", none = "never" }, { "key" },
      },
    },
  },
}
