-- The Mist docs' Go snippet for getOrgApiToken, in Lua.
-- Environment: MIST_HOST, MIST_APITOKEN, MIST_ORG_ID (or an env file: see the README).
-- Run: lua5.4 examples/go_snippets/get_org_api_token.lua APITOKEN_ID
local mistapi = require "mistapi"

local apitoken_id = arg[1] or error("usage: get_org_api_token.lua APITOKEN_ID")
local client = assert(mistapi.new())   -- MIST_HOST, MIST_APITOKEN, MIST_ORG_ID: see the README
local org_id = client.org_id or error("set MIST_ORG_ID")
local orgs_api_tokens = client:orgs_api_tokens()

local res, err = orgs_api_tokens:get_org_api_token(org_id, apitoken_id)
if not res then
  io.stderr:write(tostring(err), "\n")
  os.exit(1)
end
print(res.data)     -- the key comes masked from the API
print(res.status)
