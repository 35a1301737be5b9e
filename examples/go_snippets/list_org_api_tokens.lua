-- The Mist docs' Go snippet for listOrgApiTokens, in Lua.
-- Environment: MIST_BASE_URL or MIST_HOST, MIST_APITOKEN, MIST_ORG_ID.
-- Run: lua5.4 examples/go_snippets/list_org_api_tokens.lua
local mistapi = require "mistapi"

local org_id = os.getenv("MIST_ORG_ID") or error("set MIST_ORG_ID")
local client = assert(mistapi.new { base_url = os.getenv("MIST_BASE_URL") })
local orgs_api_tokens = client:orgs_api_tokens()

local res, err = orgs_api_tokens:list_org_api_tokens(org_id)
if not res then
  io.stderr:write(tostring(err), "\n")
  os.exit(1)
end
print(res)          -- the status and the tokens as a table
for _, token in ipairs(res.data) do   -- res.data is a plain array
  print(token.id, token.name)
end
