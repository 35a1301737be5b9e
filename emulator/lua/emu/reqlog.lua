-- The log of requests received (control API: GET /_emulator/log). Method, path,
-- query, which token authenticated, status and fault; never a token, key or body.
local dict = require "emu.dict"
local json = require "emu.json"

local M = {}

local MAX = 100000 -- entries kept; the oldest go first

function M.add(entry)
  local n = dict:incr("log:n", 1, 0)
  dict:set("log:" .. n, json.encode(entry))
  if n > MAX then
    dict:delete("log:" .. (n - MAX))
  end
end

function M.all()
  local n = dict:get("log:n") or 0
  local out = {}
  for i = math.max(1, n - MAX + 1), n do
    local text = dict:get("log:" .. i)
    if text then
      out[#out + 1] = text
    end
  end
  return json.array_of(out)
end

function M.clear()
  local n = dict:get("log:n") or 0
  for i = math.max(1, n - MAX + 1), n do
    dict:delete("log:" .. i)
  end
  dict:set("log:n", 0)
end

return M
