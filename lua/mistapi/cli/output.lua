--- What `mistapi-tokens` prints for people: a token as a block of fields,
-- a list as the aligned table of `mistapi.display`. Keys are masked.
-- @module mistapi.cli.output

local display = require "mistapi.display"
local schema = require "mistapi.schema"

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

-- What a model's token shows as `field  value` lines (the schema's `details`).
local function details_of(m)
  local fields = {}
  for _, f in ipairs(m.fields) do fields[f.name] = f end
  return function(t)
    local rows = {}
    for i, d in ipairs(m.details) do
      local f = assert(fields[d[1]], d[1])
      local v = t[f.name]
      local text
      if f.type == "privileges" then
        text = display.privileges(v, ", ")
      elseif f.type == "ips" then
        text = joined(v)
      elseif f.secret or f.type == "epoch" then
        text = display.field(t, f, d.none)
      else
        text = display.scrub(v)
      end
      rows[i] = { d.label or f.name, text }
    end
    return field_lines(rows)
  end
end

local MODEL = {}
for _, m in ipairs(schema.models) do MODEL[m.name] = m end

--- A token as `field  value` lines.
-- @function token
-- @param t
output.token = details_of(MODEL.org_apitoken)

--- A user's own token as `field  value` lines (it has no privileges or
-- source IPs of its own: it acts with its user's).
-- @function user_token
-- @param t
output.user_token = details_of(MODEL.user_apitoken)

--- A list of tokens as an aligned table.
function output.list(list)
  return display.table(list)
end

return output
