-- One process of the bench's fleet row: every org the token reaches
-- (`client:list_orgs()`, as `audit --all-orgs` finds them), audited 8 (CONC)
-- at a time through the library, counting its calls in BUDGET with the
-- token's allowance LIMIT calls a WINDOW seconds. (The CLI takes --budget but
-- not the allowance; the library takes both.) Run from the checkout's root:
--   lua5.4 bench/run_fleet.lua BASE CA_FILE TOKEN_FILE BUDGET LIMIT WINDOW CONC
-- The token comes from TOKEN_FILE, never from the command line. Prints
--   orgs N failed F tokens T warnings W
-- (W: the log hook's warnings, each a shared budget that failed and the
-- local one counting in its place).
package.path = "./lua/?.lua;./lua/?/init.lua;" .. package.path
package.cpath = "./build/5.4/?.so;" .. package.cpath

local base, ca_file, token_file, budget, limit, window, conc = table.unpack(arg)
if not conc then
  io.stderr:write("usage: bench/run_fleet.lua BASE CA_FILE TOKEN_FILE BUDGET LIMIT WINDOW CONC\n")
  os.exit(2)
end
local f = assert(io.open(token_file, "r"))
local token = f:read("l")
f:close()

local mistapi = require "mistapi"
local warnings = 0
local client = assert(mistapi.new {
  base_url = base, token = token, ca_file = ca_file, getenv = function() return nil end,
  budget = budget, budget_limit = tonumber(limit), budget_window = tonumber(window),
  log = function(e) if e.warning then warnings = warnings + 1 end end,
})
local orgs, err = client:list_orgs()
if not orgs then
  io.stderr:write("bench/run_fleet.lua: ", tostring(err), "\n")
  os.exit(1)
end
local ids = {}
for i, o in ipairs(orgs.data) do ids[i] = o.id end
local failed, tokens = 0, 0
for _, oc in ipairs(client:orgs_api_tokens():audit_orgs_api_tokens(ids, { concurrency = tonumber(conc) })) do
  if oc.result then tokens = tokens + oc.result.tokens else failed = failed + 1 end
end
client:close()
io.write(("orgs %d failed %d tokens %d warnings %d\n"):format(#ids, failed, tokens, warnings))
