-- Lists the org's API tokens that were never used, or not used for N days,
-- as a table: a start for a clean-up (see bulk_cleanup.lua).
--
-- Run: lua5.4 examples/audit_stale_tokens.lua [--days N]   (default 90)
-- Environment: MIST_HOST, MIST_APITOKEN, MIST_ORG_ID (or an env file: see the README).
-- Exit status: 0 nothing stale, 1 stale tokens found (for cron and CI), 2 usage or failure.
local mistapi = require "mistapi"
local display = require "mistapi.display"
local text = require "mistapi.text"

local days = 90
if arg[1] == "--days" and tonumber(arg[2]) and tonumber(arg[2]) >= 0 then
  days = tonumber(arg[2])
elseif arg[1] ~= nil then
  io.stderr:write("usage: audit_stale_tokens.lua [--days N]\n")
  os.exit(2)
end

local client = assert(mistapi.new())   -- MIST_HOST, MIST_APITOKEN, MIST_ORG_ID: see the README
local org_id = client.org_id or error("set MIST_ORG_ID")
local tokens = client:orgs_api_tokens()

local now = os.time()
local cutoff = now - days * 86400
local rows = { { "NAME", "ID", "CREATED", "LAST USED", "WHY" } }
local ok, err = pcall(function()
  for token in tokens:each_org_api_token(org_id) do   -- every page; raises on error
    local why
    if token.last_used == nil then
      why = "never used"
    elseif token.last_used < cutoff then
      why = ("unused for %d days"):format((now - token.last_used) // 86400)
    end
    if why then
      rows[#rows + 1] = { text.clean(token.name), text.clean(token.id), display.time(token.created_time),
        display.time(token.last_used, "never"), why }
    end
  end
end)
if not ok then
  io.stderr:write(tostring(err), "\n")
  os.exit(2)
end

-- Columns padded to their widest cell; server text under the one character rule.
print(text.table(rows))
print(("%d stale token%s (never used, or unused for %d days)"):format(#rows - 1, #rows == 2 and "" or "s", days))
os.exit(#rows > 1 and 1 or 0)
