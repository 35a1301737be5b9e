-- The Mist docs' Go snippet for createOrgApiToken, in Lua.
-- Environment: MIST_HOST, MIST_APITOKEN, MIST_ORG_ID (or an env file: see the README), MIST_SITE_ID.
-- Run: lua5.4 examples/go_snippets/create_org_api_token.lua
local mistapi = require "mistapi"

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
  src_ips = { "63.3.56.0/24", "63.3.55.4" },
}

local res, err = orgs_api_tokens:create_org_api_token(org_id, body)
if not res then
  io.stderr:write(tostring(err), "\n")   -- log.Fatalln(err)
  os.exit(1)
end
-- Printing the result and response. The key is masked when printed; the
-- whole key is res.data.key, returned only by this call: store it now.
print(res.data)
print(res.status)
