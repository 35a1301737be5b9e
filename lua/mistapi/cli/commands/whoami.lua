--- `mistapi-tokens whoami`: which Mist API this command talks to, as whom,
-- and what those credentials may do there (from `GET /api/v1/self`), so a
-- user sees the host and the identity before a command that changes things.
-- @module mistapi.cli.commands.whoami

local display = require "mistapi.display"
local json = require "mistapi.cli.json"

-- The privilege rows of /self: role, scope and what it names.
local function privilege_lines(list)
  if type(list) ~= "table" or #list == 0 then return { "  (none)" } end
  local lines = {}
  for i, p in ipairs(list) do
    local target = p.name or p.org_name or p.site_name or ""
    local id = p.site_id or p.sitegroup_id or p.org_id or p.msp_id
    lines[i] = ("  %-10s %-10s %s%s"):format(display.scrub(p.role), display.scrub(p.scope),
      display.scrub(target), id and (" (" .. display.scrub(id) .. ")") or "")
  end
  return lines
end

-- "org API token NAME", or the user's email (and name).
local function identity(me)
  if me.email then
    local who = display.scrub(me.email)
    local full = table.concat({ me.first_name or "", me.last_name or "" }, " "):match("^%s*(.-)%s*$")
    if full ~= "" then who = who .. " (" .. display.scrub(full) .. ")" end
    return "user " .. who
  end
  return "API token " .. (me.name and ('"' .. display.scrub(me.name) .. '"') or "(no name)")
end

return {
  summary = "the API host, who the credentials are, and what they may do",
  run = function(ctx, o)
    local host = ctx.client.settings.base_url
    local res, err = ctx.client:request("GET", "/api/v1/self")
    if not res then return ctx.fail(err) end
    local me = type(res.data) == "table" and res.data or {}
    local org = ctx.client.settings.org_id
    if o.json then
      return ctx.out(json.encode({ host = host, org_id = org, self = me }))
    end
    local lines = {
      "host:       " .. display.scrub(host),
      "identity:   " .. identity(me),
      "org:        " .. (org and display.scrub(org) or "- (no --org, no MIST_ORG_ID)"),
      "privileges:",
    }
    for _, l in ipairs(privilege_lines(me.privileges)) do lines[#lines + 1] = l end
    return ctx.out(table.concat(lines, "\n"))
  end,
}
