-- One process of a fleet for spec 45-budget_redis: a client with a shared
-- budget makes CALLS list calls and prints one line a call ("ok", "budget
-- <retry_after>", "http <status>", "<kind>") and one a warning of its log
-- hook ("warning <text>"). Run from the checkout's root:
--   INTERPRETER spec/support/budget_worker.lua CPATH BASE_URL ORG_ID BUDGET LIMIT WINDOW WAIT CALLS
-- The token comes from MIST_APITOKEN (never on a command line).
local unpack_args = table.unpack or unpack
local cpath, base_url, org_id, budget, limit, window, wait, calls = unpack_args(arg)
package.path = "./lua/?.lua;./lua/?/init.lua;" .. package.path
package.cpath = cpath .. ";" .. package.cpath

local mistapi = require "mistapi"
local lines = {}
local client = assert(mistapi.new {
  base_url = base_url, token = os.getenv("MIST_APITOKEN"), getenv = function() return nil end,
  budget = budget, budget_limit = tonumber(limit), budget_window = tonumber(window), budget_wait = tonumber(wait),
  max_retries = 0,
  log = function(e) if e.warning then lines[#lines + 1] = "warning " .. e.warning end end,
})
local tokens = client:orgs_api_tokens()
for _ = 1, tonumber(calls) do
  local res, err = tokens:list_org_api_tokens(org_id)
  if res then
    lines[#lines + 1] = "ok"
  elseif err.kind == "budget" then
    lines[#lines + 1] = ("budget %.6f"):format(err.retry_after)
  elseif err.kind == "http" then
    lines[#lines + 1] = "http " .. err.status
  else
    lines[#lines + 1] = err.kind
  end
end
client:close()
io.write(table.concat(lines, "\n"), "\n")
