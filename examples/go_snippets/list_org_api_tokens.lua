-- The Mist docs' Go snippet for listOrgApiTokens, in Lua.
-- Environment: MIST_HOST, MIST_APITOKEN, MIST_ORG_ID (or an env file: see the README).
-- Run: lua5.4 examples/go_snippets/list_org_api_tokens.lua
local mistapi = require "mistapi"

local client = assert(mistapi.new())   -- MIST_HOST, MIST_APITOKEN, MIST_ORG_ID: see the README
local org_id = client.org_id or error("set MIST_ORG_ID")
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
