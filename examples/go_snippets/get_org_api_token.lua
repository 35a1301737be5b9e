-- The Mist docs' Go snippet for getOrgApiToken, in Lua.
-- Environment: MIST_BASE_URL or MIST_HOST, MIST_APITOKEN, MIST_ORG_ID.
-- Run: lua5.4 examples/go_snippets/get_org_api_token.lua APITOKEN_ID
local mistapi = require "mistapi"

local org_id = os.getenv("MIST_ORG_ID") or error("set MIST_ORG_ID")
local apitoken_id = arg[1] or error("usage: get_org_api_token.lua APITOKEN_ID")
local client = assert(mistapi.new { base_url = os.getenv("MIST_BASE_URL") })
local orgs_api_tokens = client:orgs_api_tokens()

local res, err = orgs_api_tokens:get_org_api_token(org_id, apitoken_id)
if not res then
  io.stderr:write(tostring(err), "\n")
  os.exit(1)
end
print(res.data)     -- the key comes masked from the API
print(res.status)
