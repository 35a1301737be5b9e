-- Switches: how the emulator behaves where the real API is undocumented, and
-- knobs for tests and benchmarks. Stored in the shared dict as one JSON text.
local dict = require "emu.dict"
local json = require "emu.json"

local M = {}

-- name -> { default, check(value) -> true | nil, message }
local function one_of(...)
  local allowed = { ... }
  return function(v)
    for _, a in ipairs(allowed) do
      if v == a then
        return true
      end
    end
    local names = {}
    for i, a in ipairs(allowed) do
      names[i] = tostring(a)
    end
    return nil, "must be one of " .. table.concat(names, ", ")
  end
end

local function int_range(lo, hi)
  return function(v)
    if type(v) == "number" and v == math.floor(v) and v >= lo and v <= hi then
      return true
    end
    return nil, "must be an integer from " .. lo .. " to " .. hi
  end
end

local function boolean(v)
  if type(v) == "boolean" then
    return true
  end
  return nil, "must be true or false"
end

local function code(v)
  if type(v) == "string" and v:match("^%d%d%d%d%d%d$") then
    return true
  end
  return nil, "must be a string of 6 digits"
end

local SWITCHES = {
  rate_limit = { 5000, int_range(1, 1000000000) },  -- calls per token per window
  rate_window = { 3600, int_range(1, 86400) },      -- seconds
  retry_after = { "seconds", one_of("seconds", "http-date", "none") },
  bad_id_status = { 404, one_of(404, 400) },        -- a path id that is no UUID
  paging = { "headers", one_of("headers", "next") },
  -- a token list asked for no limit/page: all of it (the spec declares none), or the first 100
  token_list = { "whole", one_of("whole", "paged") },
  put_src_ips = { "reject", one_of("reject", "ignore") },
  put_response = { "token", one_of("token", "empty") },
  latency_ms = { 0, int_range(0, 60000) },          -- added to every API request
  two_factor = { false, boolean },                  -- the built-in user has 2FA on
  two_factor_code = { "123456", code },
  -- the spec's createApiToken answers a list: of the new token ("array"), or of all the
  -- user's tokens with the new one (whole key) where the store has it ("several") or last
  -- ("all"); "object": the token alone
  self_create_answer = { "array", one_of("array", "object", "several", "all") },
  privileges_order = { "given", one_of("given", "reversed") },  -- the spec promises no order
}

local function defaults()
  local c = {}
  for name, s in pairs(SWITCHES) do
    c[name] = s[1]
  end
  return c
end

function M.get()
  local text = dict:get("config")
  local c = text and json.decode(text)
  if type(c) ~= "table" then
    c = defaults()
  end
  return c
end

-- Merge changes into the current switches; an unknown name or bad value changes nothing.
function M.set(changes)
  local c = M.get()
  for name, v in pairs(changes) do
    local s = SWITCHES[name]
    if not s then
      return nil, "unknown switch: " .. tostring(name)
    end
    local ok, msg = s[2](v)
    if not ok then
      return nil, name .. ": " .. msg
    end
    c[name] = v
  end
  dict:set("config", json.encode(c))
  return c
end

function M.reset()
  dict:set("config", json.encode(defaults()))
end

return M
