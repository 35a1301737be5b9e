-- Login sessions of the built-in user: sess:<sessionid> -> { email, csrf, complete }.
local dict = require "emu.dict"
local json = require "emu.json"
local random = require "emu.random"

local M = {}

local TTL = 86400

function M.create(email, complete)
  local s = { id = random.alnum(32), csrf = random.alnum(32), email = email, complete = complete }
  dict:set("sess:" .. s.id, json.encode(s), TTL)
  return s
end

function M.get(id)
  if type(id) ~= "string" or id == "" then
    return nil
  end
  local text = dict:get("sess:" .. id)
  return text and json.decode(text)
end

function M.complete(s)
  s.complete = true
  dict:set("sess:" .. s.id, json.encode(s), TTL)
end

function M.delete(id)
  dict:delete("sess:" .. id)
end

return M
