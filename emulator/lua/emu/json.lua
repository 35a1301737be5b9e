-- JSON helpers for the emulator: safe decoding with API-like error texts and
-- encoding that keeps arrays arrays (lua-cjson 2.1.0 writes an empty table as {}).
local cjson = require "cjson.safe"

local M = {}

M.null = cjson.null

-- lua-cjson 2.1.0 writes an empty table as {}: a field that must read [] holds this
-- marker instead, and encode turns the marker into [].
M.EMPTY_ARRAY = "\1emu:empty-array\1"
local MARKER = cjson.encode(M.EMPTY_ARRAY)

function M.encode(v)
  local text = assert(cjson.encode(v))
  if text:find(MARKER, 1, true) then
    text = text:gsub(MARKER:gsub("%p", "%%%0"), "[]")
  end
  return text
end

-- t, or the empty-array marker when t has no element.
function M.array(t)
  if t == nil or t[1] == nil then
    return M.EMPTY_ARRAY
  end
  return t
end

-- Decode a request body; on failure the detail reads like Mist's 400 answers.
function M.decode_body(text)
  if text == nil or text == "" then
    return nil, "JSON parse error - Expecting value: line 1 column 1 (char 0)"
  end
  local v, err = cjson.decode(text)
  if v == nil and err then
    return nil, "JSON parse error - " .. tostring(err)
  end
  return v
end

function M.decode(text)
  return cjson.decode(text)
end

-- `text` re-encoded with every object's keys in order: the same bytes for the same
-- value in every nginx start (LuaJIT seeds its string hash at random, so cjson's
-- key order is not), for a fault that cuts an answer at a fixed place. Text that
-- is no JSON is returned as it is.
local function canonical(v)
  if type(v) ~= "table" then return assert(cjson.encode(v)) end
  if v[1] ~= nil or (cjson.array_mt ~= nil and getmetatable(v) == cjson.array_mt) then
    local parts = {}
    for i, x in ipairs(v) do parts[i] = canonical(x) end
    return "[" .. table.concat(parts, ",") .. "]"
  end
  local keys = {}
  for k in pairs(v) do keys[#keys + 1] = tostring(k) end
  table.sort(keys)
  local parts = {}
  for i, k in ipairs(keys) do parts[i] = assert(cjson.encode(k)) .. ":" .. canonical(v[k]) end
  return "{" .. table.concat(parts, ",") .. "}"
end

function M.canonical(text)
  local v = cjson.decode(text)
  if type(v) ~= "table" then return text end
  return canonical(v)
end

-- An array of already-encoded JSON values.
function M.array_of(encoded)
  return "[" .. table.concat(encoded, ",") .. "]"
end

-- True for a decoded JSON array with at least one element (empty ones can't be told apart).
function M.is_array(v)
  return type(v) == "table" and v[1] ~= nil
end

function M.is_object(v)
  if type(v) ~= "table" then
    return false
  end
  return v[1] == nil
end

return M
