-- Deletes the org's API tokens whose names match a Lua pattern. A dry run
-- unless --apply is given: it first shows what it would delete. The token
-- this script itself uses is never deleted.
--
-- Run: lua5.4 examples/bulk_cleanup.lua --match PATTERN [--apply]
--      e.g. --match '^ci%-'  (Lua patterns: %- is a literal -)
-- Environment: MIST_HOST, MIST_APITOKEN, MIST_ORG_ID (or an env file: see the README).
-- Exit status: 0 done, 1 some deletions failed, 2 usage or the list failed.
local mistapi = require "mistapi"
local display = require "mistapi.display"

local pattern, apply
do
  local i = 1
  while arg[i] do
    if arg[i] == "--apply" then
      apply = true
    elseif arg[i] == "--match" and arg[i + 1] then
      pattern = arg[i + 1]
      i = i + 1
    else
      io.stderr:write("usage: bulk_cleanup.lua --match PATTERN [--apply]\n")
      os.exit(2)
    end
    i = i + 1
  end
end
if not pattern or not pcall(string.find, "", pattern) then
  io.stderr:write("bulk_cleanup: --match needs a valid Lua pattern\n")
  os.exit(2)
end

local client = assert(mistapi.new())   -- MIST_HOST, MIST_APITOKEN, MIST_ORG_ID: see the README
local org_id = client.org_id or error("set MIST_ORG_ID")
local tokens = client:orgs_api_tokens()

local res, err = tokens:list_all_org_api_tokens(org_id)
if not res then
  io.stderr:write(tostring(err), "\n")
  os.exit(2)
end

-- The list shows keys masked the same way, so the script's own tokens (all of
-- them, wherever the library found them) are recognised without a key ever
-- being compared in full or shown.
local own = {}
for _, t in ipairs(client.settings.tokens) do own[display.mask(t)] = true end

local chosen = {}
for _, token in ipairs(res.data) do
  if type(token.name) == "string" and token.name:find(pattern) then
    if own[token.key] then
      print(("skipped %s %s: it is the token this script uses"):format(display.scrub(token.id),
        display.scrub(token.name)))
    else
      chosen[#chosen + 1] = token
    end
  end
end

if #chosen == 0 then
  print("no token to delete matches " .. pattern)
  os.exit(0)
end
print(display.table(chosen))
if not apply then
  print(("dry run: %d token%s would be deleted; run again with --apply to delete them")
    :format(#chosen, #chosen == 1 and "" or "s"))
  os.exit(0)
end

local failed = 0
for _, token in ipairs(chosen) do
  local _, derr = tokens:delete_org_api_token(org_id, token.id)
  if derr then
    failed = failed + 1
    io.stderr:write(("not deleted %s: %s\n"):format(token.id, tostring(derr)))
  else
    print(("deleted %s %s"):format(display.scrub(token.id), display.scrub(token.name)))
  end
end
print(("%d deleted, %d failed"):format(#chosen - failed, failed))
os.exit(failed > 0 and 1 or 0)
