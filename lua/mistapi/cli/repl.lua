--- Sets up an interactive session: `lua5.4 -i -e 'require "mistapi.cli.repl".start()'`.
-- Makes the globals `mistapi`, `client`, `tokens` and `org_id` from the
-- environment (MIST_BASE_URL or MIST_HOST, MIST_APITOKEN, MIST_ORG_ID) and
-- prints how to begin. `make repl` runs it against the emulator.
-- @module mistapi.cli.repl

local repl = {}

local BANNER = [[
mistapi %s on %s
  ready: mistapi, client, tokens = client:orgs_api_tokens(), org_id = %s
  try:   tokens:list_org_api_tokens(org_id)
         res = tokens:create_org_api_token(org_id,
                 { name = "demo", privileges = { { role = "admin", scope = "org" } } })
         mistapi.help()   -- every operation with its usage]]

--- Makes the session's globals; prints the banner, or the reason it can't.
-- @param getenv the environment lookup (default os.getenv)
-- @return the client, or nil and an error
function repl.start(getenv)
  getenv = getenv or os.getenv
  local mistapi = require "mistapi"
  rawset(_G, "mistapi", mistapi)
  local base_url = getenv("MIST_BASE_URL")
  local client, err = mistapi.new { base_url = base_url ~= "" and base_url or nil }
  if not client then
    io.stderr:write(tostring(err), "\n")
    return nil, err
  end
  local org_id = getenv("MIST_ORG_ID")
  rawset(_G, "client", client)
  rawset(_G, "tokens", client:orgs_api_tokens())
  rawset(_G, "org_id", org_id)
  print(BANNER:format(mistapi._VERSION, client.settings.base_url, org_id or "nil (set MIST_ORG_ID)"))
  return client
end

return repl
