--- The resources the client hands out, described as data: one row a
-- resource. `mistapi.resource` builds each from its row, its model
-- (`mistapi.models`) and its operations (`mistapi.operations`, by `resource`),
-- and the client gets a method named `accessor` that returns it.
--   accessor: the client's method (`client:orgs_api_tokens()`)
--   class: the metatable's `__name` (tostring, mistapi.raising)
--   go: the Go SDK's name of the same resource
--   model: a key of mistapi.models
--   var: how help() and the REPL call a value of it
--   helpers: names of the helpers made from the `list`, `get` and `delete`
--     operations: `each` (a generic-for over every page), `list_all` (every
--     page as one result), `get_many`, `delete_many` (many ids at once)
--   extend: { module, set }: `require(module).extend(class, set)` adds methods
--     built on the operations (the token lifecycle: rotate, audit, plan, apply)
-- @module mistapi.resources

local resources = {
  {
    accessor = "orgs_api_tokens", class = "mistapi.OrgsAPITokens", go = "OrgsAPITokens",
    model = "org_apitoken", var = "tokens",
    helpers = {
      each = "each_org_api_token", list_all = "list_all_org_api_tokens",
      get_many = "get_org_api_tokens", delete_many = "delete_org_api_tokens",
    },
    extend = { "mistapi.lifecycle.methods", "org" },
  },
  {
    accessor = "self_api_tokens", class = "mistapi.SelfAPITokens", go = "SelfAPITokens",
    model = "user_apitoken", var = "mine",
    helpers = {
      each = "each_api_token", list_all = "list_all_api_tokens",
      get_many = "get_api_tokens", delete_many = "delete_api_tokens",
    },
    extend = { "mistapi.lifecycle.methods", "self" },
  },
}

for _, r in ipairs(resources) do resources[r.accessor] = r end

return resources
