--- The Org API Token operations of the official spec, described once as data.
-- Every transport, helper and the CLI reads them from here.
--   method, path: the HTTP method and the path template
--   params: the path parameters, in the order the Lua method takes them
--   body: the request model ("token") or nil
--   response: "token" (an object), "tokens" (an array), "token_or_empty", "empty"
--   idempotent: whether a retry after the server may have seen it is safe
-- @module mistapi.operations

local COLLECTION = "/api/v1/orgs/{org_id}/apitokens"
local ITEM = "/api/v1/orgs/{org_id}/apitokens/{apitoken_id}"

local operations = {
  {
    name = "create_org_api_token", operation_id = "createOrgApiToken",
    method = "POST", path = COLLECTION, params = { "org_id" },
    body = "token", response = "token", idempotent = false,
    usage = "tokens:create_org_api_token(org_id, { name = ..., privileges = {...}, src_ips = {...} })",
  },
  {
    name = "get_org_api_token", operation_id = "getOrgApiToken",
    method = "GET", path = ITEM, params = { "org_id", "apitoken_id" },
    response = "token", idempotent = true,
    usage = "tokens:get_org_api_token(org_id, apitoken_id)",
  },
  {
    name = "list_org_api_tokens", operation_id = "listOrgApiTokens",
    method = "GET", path = COLLECTION, params = { "org_id" },
    query = { "limit", "page" }, response = "tokens", idempotent = true,
    usage = "tokens:list_org_api_tokens(org_id [, { limit = 100, page = 1 }])",
  },
  {
    name = "update_org_api_token", operation_id = "updateOrgApiToken",
    method = "PUT", path = ITEM, params = { "org_id", "apitoken_id" },
    body = "token", response = "token_or_empty", idempotent = true,
    usage = "tokens:update_org_api_token(org_id, apitoken_id, { name = ..., privileges = {...} })",
  },
  {
    name = "delete_org_api_token", operation_id = "deleteOrgApiToken",
    method = "DELETE", path = ITEM, params = { "org_id", "apitoken_id" },
    response = "empty", idempotent = true,
    usage = "tokens:delete_org_api_token(org_id, apitoken_id)",
  },
}

for _, op in ipairs(operations) do operations[op.name] = op end

return operations
