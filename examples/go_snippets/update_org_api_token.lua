-- The Mist docs' Go snippet for updateOrgApiToken, in Lua.
-- Environment: MIST_HOST, MIST_APITOKEN, MIST_ORG_ID (or an env file: see the README), MIST_SITE_ID.
-- Run: lua5.4 examples/go_snippets/update_org_api_token.lua APITOKEN_ID
-- PUT replaces the token's name and privileges (src_ips can't change).
local mistapi = require "mistapi"

local apitoken_id = arg[1] or error("usage: update_org_api_token.lua APITOKEN_ID")
-- A site of the org (MIST_SITE_ID), or the docs' placeholder.
local site_id = os.getenv("MIST_SITE_ID") or "4ac1dcf4-9d8b-4211-85c4-057819f0862b"
local client = assert(mistapi.new())   -- MIST_HOST, MIST_APITOKEN, MIST_ORG_ID: see the README
local org_id = client.org_id or error("set MIST_ORG_ID")
local orgs_api_tokens = client:orgs_api_tokens()

local body = {
  name = "org_token_xyz",
  privileges = {
    { role = "admin", scope = "site", site_id = site_id },
  },
}

local res, err = orgs_api_tokens:update_org_api_token(org_id, apitoken_id, body)
if not res then
  io.stderr:write(tostring(err), "\n")
  os.exit(1)
end
print(res.data)
print(res.status)
