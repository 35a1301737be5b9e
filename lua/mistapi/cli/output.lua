--- What `mistapi-tokens` prints for people: a token as a block of fields,
-- a list as the aligned table of `mistapi.display`. Keys are masked.
-- @module mistapi.cli.output

local display = require "mistapi.display"

local output = {}

local function joined(list)
  if type(list) ~= "table" or #list == 0 then return "-" end
  local parts = {}
  for i = 1, #list do parts[i] = display.scrub(list[i]) end
  return table.concat(parts, ", ")
end

-- Rows of {field, value} as aligned `field  value` lines.
local function field_lines(rows)
  local lines = {}
  for i, r in ipairs(rows) do lines[i] = ("%-11s %s"):format(r[1], r[2]) end
  return table.concat(lines, "\n")
end

--- A token as `field  value` lines.
function output.token(t)
  local privileges = {}
  for i, p in ipairs(t.privileges or {}) do privileges[i] = display.privilege(p) end
  local rows = {
    { "name", display.scrub(t.name) },
    { "id", display.scrub(t.id) },
    { "privileges", joined(privileges) },
    { "src_ips", joined(t.src_ips) },
    { "created", display.time(t.created_time) },
    { "created_by", display.scrub(t.created_by) },
    { "last_used", display.time(t.last_used, "never") },
    { "key", display.mask(t.key) },
  }
  return field_lines(rows)
end

--- A user's own token as `field  value` lines (it has no privileges or
-- source IPs of its own: it acts with its user's).
function output.user_token(t)
  local rows = {
    { "name", display.scrub(t.name) },
    { "id", display.scrub(t.id) },
    { "created", display.time(t.created_time) },
    { "last_used", display.time(t.last_used, "never") },
    { "key", display.mask(t.key) },
  }
  return field_lines(rows)
end

--- A list of tokens as an aligned table.
function output.list(list)
  return display.table(list)
end

return output
