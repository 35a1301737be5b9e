--- JSON for the json option: tokens with their fields in a fixed, readable order,
-- and the arrays of the model as arrays even when empty, so `jq` scripts
-- see the same shape every time. Strings and numbers go through the core's
-- encoder.
-- @module mistapi.cli.json

local core = require "mistapi.core"
local schema = require "mistapi.schema"
local text = require "mistapi.text"

local M = {}

-- Keys rank in the schema's order: each model's fields, then a privilege's;
-- the fields of these types hold arrays.
local ARRAY_TYPES = { privileges = true, ips = true, views = true }
local RANK, ARRAYS, LAST = {}, {}, 0
local function add(fields)
  for _, f in ipairs(fields) do
    if not RANK[f.name] then
      LAST = LAST + 1
      RANK[f.name] = LAST
    end
    if ARRAY_TYPES[f.type] then ARRAYS[f.name] = true end
  end
end
for _, m in ipairs(schema.models) do add(m.fields) end
add(schema.privilege.fields)

local function sorted_keys(t) return text.sorted_keys(t, RANK) end

-- A string for the encoder: bytes that aren't UTF-8 become "?" (the
-- encoder would refuse them), then C1 controls and DEL are written as \u
-- escapes (JSON requires only C0 to be escaped; the encoder does that), so
-- `jq` output can't act on a terminal either.
local function string_json(s)
  local out = assert(core.encode(text.valid_utf8(s)))
  if not out:find("[\127\194]") then return out end
  return (out:gsub("\127", "\\u007f"):gsub("\194([\128-\159])", function(b) return ("\\u%04x"):format(b:byte()) end))
end

local function is_array(t, hint)
  if next(t) == nil then return hint or getmetatable(t) == core.array_mt end
  return t[1] ~= nil and #t > 0
end

local function write(v, out, hint)
  if type(v) == "string" then
    out[#out + 1] = string_json(v)
    return
  end
  if type(v) ~= "table" then
    out[#out + 1] = assert(core.encode(v))
    return
  end
  if is_array(v, hint) then
    out[#out + 1] = "["
    for i = 1, #v do
      if i > 1 then out[#out + 1] = "," end
      write(v[i], out)
    end
    out[#out + 1] = "]"
    return
  end
  out[#out + 1] = "{"
  for i, k in ipairs(sorted_keys(v)) do
    if i > 1 then out[#out + 1] = "," end
    out[#out + 1] = string_json(tostring(k))
    out[#out + 1] = ":"
    write(v[k], out, ARRAYS[k])
  end
  out[#out + 1] = "}"
end

--- The JSON text of a value; `top_array` says an empty table is a list.
function M.encode(v, top_array)
  local out = {}
  write(v, out, top_array)
  return table.concat(out)
end

return M
