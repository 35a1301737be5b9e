--- A plan as people read one, in the manner of `terraform plan`: a block
-- for each token to create (+), change (~), replace (-/+) or destroy (-),
-- the notes, and a summary line. Names from the server are shown on one line.
-- @module mistapi.lifecycle.plan_text

local privileges = require "mistapi.lifecycle.privileges"

local plan_text = {}

local SIGN = { create = "+", update = "~", replace = "-/+", delete = "-" }
local VERB = { create = "create", update = "update in place", replace = "replace", delete = "destroy" }

local clean = require("mistapi.text").clean

local function field(lines, label, from, to, text, note)
  local line
  if from == nil then
    line = ("      %-11s %s"):format(label .. ":", text(to))
  else
    line = ("      %-11s %s -> %s"):format(label .. ":", text(from), text(to))
  end
  lines[#lines + 1] = note and (line .. "   # " .. note) or line
end

local function has(list, x)
  for _, v in ipairs(list or {}) do if v == x then return true end end
  return false
end

local function block(lines, s)
  local head = ("  %s %s %s"):format(SIGN[s.action], VERB[s.action], clean(s.name))
  if s.id then head = head .. " (" .. clean(s.id) .. ")" end
  lines[#lines + 1] = head
  if s.action == "create" then
    field(lines, "privileges", nil, s.to.privileges, privileges.text)
    field(lines, "src_ips", nil, s.to.src_ips, privileges.ips_text)
  elseif s.action == "delete" then
    field(lines, "privileges", nil, s.from.privileges, privileges.text)
  else
    if has(s.changes, "name") then field(lines, "name", s.from.name, s.to.name, clean) end
    if has(s.changes, "privileges") then
      field(lines, "privileges", s.from.privileges, s.to.privileges, privileges.text)
    end
    if has(s.changes, "src_ips") then
      field(lines, "src_ips", s.from.src_ips, s.to.src_ips, privileges.ips_text, "forces replacement")
    end
  end
  lines[#lines + 1] = ""
end

--- The text of plan `p` (lines joined by "\n", no trailing newline).
function plan_text.render(p)
  local lines = {}
  if #p.steps == 0 then
    lines[1] = ("No changes. The tokens of %s match the desired state."):format(p.where or "the org")
  else
    lines[1] = ("Tokens of %s: the following actions will be performed"):format(p.where or "the org")
    lines[2] = ""
    for _, s in ipairs(p.steps) do block(lines, s) end
  end
  for _, n in ipairs(p.notes) do lines[#lines + 1] = "Note: " .. clean(n) end
  local c = p.counts
  lines[#lines + 1] = ("Plan: %d to create, %d to change, %d to replace, %d to destroy."):format(
    c.create, c.update, c.replace, c.delete)
  return table.concat(lines, "\n")
end

return plan_text
