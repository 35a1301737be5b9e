--- The operations of the official spec, described once as data: one row an
-- operation, each naming its resource (a row of `mistapi.resources`).
-- `mistapi.resource` makes a resource's methods, its paging and bulk helpers
-- from these rows; every transport, helper and the CLI reads them from here.
--   resource: the resource it belongs to
--   role: create, get, list, update or delete: what the generic helpers
--     (paging, bulk, lifecycle) look for
--   method, path: the HTTP method and the path template
--   params: the path parameters, in the order the Lua method takes them (at most two)
--   body: true when it sends the resource's model
--   returns: "one" (an object), "list" (an array), "one_or_empty", "none",
--     "one_or_listed" (an object, or an array holding it: the spec's
--     createApiToken declares a list, so the client takes the token out of it);
--     `mistapi.resource` turns it into `response`, the shape of the
--     resource's model that the pipeline decodes
--   query: the list options it takes
--   idempotent: whether a retry after the server may have seen it is safe
-- @module mistapi.operations

local ORG_TOKENS = "/api/v1/orgs/{org_id}/apitokens"
local ORG_TOKEN = "/api/v1/orgs/{org_id}/apitokens/{apitoken_id}"
local SELF_TOKENS = "/api/v1/self/apitokens"
local SELF_TOKEN = "/api/v1/self/apitokens/{apitoken_id}"

local operations = {
  {
    resource = "orgs_api_tokens", role = "create",
    name = "create_org_api_token", operation_id = "createOrgApiToken",
    method = "POST", path = ORG_TOKENS, params = { "org_id" },
    body = true, returns = "one", idempotent = false,
    usage = "tokens:create_org_api_token(org_id, { name = ..., privileges = {...}, src_ips = {...} })",
  },
  {
    resource = "orgs_api_tokens", role = "get",
    name = "get_org_api_token", operation_id = "getOrgApiToken",
    method = "GET", path = ORG_TOKEN, params = { "org_id", "apitoken_id" },
    returns = "one", idempotent = true,
    usage = "tokens:get_org_api_token(org_id, apitoken_id)",
  },
  {
    resource = "orgs_api_tokens", role = "list",
    name = "list_org_api_tokens", operation_id = "listOrgApiTokens",
    method = "GET", path = ORG_TOKENS, params = { "org_id" },
    query = { "limit", "page" }, returns = "list", idempotent = true,
    usage = "tokens:list_org_api_tokens(org_id [, { limit = 100, page = 1 }])",
  },
  {
    resource = "orgs_api_tokens", role = "update",
    name = "update_org_api_token", operation_id = "updateOrgApiToken",
    method = "PUT", path = ORG_TOKEN, params = { "org_id", "apitoken_id" },
    body = true, returns = "one_or_empty", idempotent = true,
    usage = "tokens:update_org_api_token(org_id, apitoken_id, { name = ..., privileges = {...} })",
  },
  {
    resource = "orgs_api_tokens", role = "delete",
    name = "delete_org_api_token", operation_id = "deleteOrgApiToken",
    method = "DELETE", path = ORG_TOKEN, params = { "org_id", "apitoken_id" },
    returns = "none", idempotent = true,
    usage = "tokens:delete_org_api_token(org_id, apitoken_id)",
  },

  -- The user's own tokens (they act with the user's privileges).
  {
    resource = "self_api_tokens", role = "create",
    name = "create_api_token", operation_id = "createApiToken",
    method = "POST", path = SELF_TOKENS, params = {},
    body = true, returns = "one_or_listed", idempotent = false,
    usage = "mine:create_api_token({ name = ... })",
  },
  {
    resource = "self_api_tokens", role = "get",
    name = "get_api_token", operation_id = "getApiToken",
    method = "GET", path = SELF_TOKEN, params = { "apitoken_id" },
    returns = "one", idempotent = true,
    usage = "mine:get_api_token(apitoken_id)",
  },
  {
    resource = "self_api_tokens", role = "list",
    name = "list_api_tokens", operation_id = "listApiTokens",
    method = "GET", path = SELF_TOKENS, params = {},
    query = { "limit", "page" }, returns = "list", idempotent = true,
    usage = "mine:list_api_tokens([{ limit = 100, page = 1 }])",
  },
  {
    resource = "self_api_tokens", role = "update",
    name = "update_api_token", operation_id = "updateApiToken",
    method = "PUT", path = SELF_TOKEN, params = { "apitoken_id" },
    body = true, returns = "one_or_empty", idempotent = true,
    usage = "mine:update_api_token(apitoken_id, { name = ... })",
  },
  {
    resource = "self_api_tokens", role = "delete",
    name = "delete_api_token", operation_id = "deleteApiToken",
    method = "DELETE", path = SELF_TOKEN, params = { "apitoken_id" },
    returns = "none", idempotent = true,
    usage = "mine:delete_api_token(apitoken_id)",
  },
}

for _, op in ipairs(operations) do operations[op.name] = op end

--- The rows of one resource, in the order above.
function operations.of(resource)
  local list = {}
  for _, op in ipairs(operations) do
    if op.resource == resource then list[#list + 1] = op end
  end
  return list
end

return operations
