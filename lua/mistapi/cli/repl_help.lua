--- `help()` and `help(fn)` in the REPL. The usage of a method comes from the
-- rows that make it: the operation rows (`mistapi.operations`), the helper
-- names of each resource (`mistapi.resources`), and any loaded `mistapi.*`
-- module that carries a `usage` table (name -> text) for its functions, so
-- helpers added later (the lifecycle ones) are found by the same lookup.
-- @module mistapi.cli.repl_help

local operations = require "mistapi.operations"
local resources = require "mistapi.resources"
local resource = require "mistapi.resource"

local help = {}

help.REPL_TEXT = [[
In this REPL: Tab completes names, fields and methods (mistapi., client:, tokens:, res.data.);
an expression prints its values; help(tokens.create_org_api_token) shows one call;
display.table(res.data) prints every row of a long list; history is kept in %s.]]

-- The client's own methods, which no row describes (request, each and get_all
-- have their lines in mistapi.request's usage table, found below).
local CLIENT = {
  get_self = "client:get_self()   -- GET /api/v1/self: who the token (or user) is, with privileges",
  login = "client:login()   -- log in now (a session client logs in by itself on its first call)",
  logout = "client:logout()   -- end the login session",
  close = "client:close()   -- free the connection; the client can't be used after",
}

-- The lines of help() that call `var:name(`, with an operation's method and path.
local function lines_for(row, name)
  local found = {}
  local call = row.var .. ":" .. name .. "("
  for line in require("mistapi").help_text():gmatch("[^\n]+") do
    if line:find(call, 1, true) then found[#found + 1] = (line:gsub("^%s+", "")) end
  end
  local op = operations[name]
  if op and op.resource == row.accessor then
    found[#found + 1] = ("  %s %s -> %s%s"):format(op.method, op.path, op.returns,
      op.idempotent and "" or "   (not retried once the server may have seen it)")
  end
  return found
end

-- The resource row of a value handed out by the client, or nil.
local function row_of(v)
  local mt = type(v) == "table" and getmetatable(v)
  if type(mt) ~= "table" then return nil end
  for _, row in ipairs(resources) do
    if rawget(mt, "__name") == row.class then return row end
  end
  return nil
end

-- The value a dotted name stands for in `env`, without running code
-- (completion's own lookup).
local function lookup(env, path)
  return require("mistapi.cli.repl_complete").lookup(env, path)
end

--- The usage text of a function the REPL can reach, or nil.
-- @param fn the function
-- @param client the REPL's client
-- @param text optional: how it was written (`mine.list_all_api_tokens`); the
--   generic helpers are one function shared by every resource, so the name
--   and the value before it tell which one was meant
function help.usage_of(fn, client, text)
  local found = {}
  local base, name = (text or ""):match("^([%w_%.]-)[%.:]([%w_]+)$")
  local row = base and row_of(lookup(_G, base))
  if row and resource.class_of(row.accessor)[name] == fn then
    found = lines_for(row, name)
  else
    -- by identity: every resource method that is this function
    for _, r in ipairs(resources) do
      for k, v in pairs(resource.class_of(r.accessor)) do
        if v == fn and type(k) == "string" then
          for _, line in ipairs(lines_for(r, k)) do found[#found + 1] = line end
        end
      end
    end
  end
  for _, r in ipairs(resources) do
    if client and client[r.accessor] == fn then
      found[#found + 1] = ("%s = client:%s()   -- %s in the Go SDK"):format(r.var, r.accessor, r.go)
    end
  end
  if client then
    for k, line in pairs(CLIENT) do
      if client[k] == fn then found[#found + 1] = line end
    end
  end
  local mistapi = package.loaded["mistapi"]
  if mistapi and fn == mistapi.new then
    found[#found + 1] = "client = mistapi.new { token = ..., host = ..., org_id = ... }   -- docs/configuration.md"
  end
  if #found > 0 then return table.concat(found, "\n") end
  -- any loaded mistapi module with a usage table for its functions
  for modname, mod in pairs(package.loaded) do
    if type(modname) == "string" and modname:match("^mistapi%.") and type(mod) == "table"
        and type(rawget(mod, "usage")) == "table" then
      for fname, line in pairs(mod.usage) do
        if rawget(mod, fname) == fn then return line end
      end
    end
  end
  return nil
end

--- Prints help: everything, or the usage of one function.
-- @param what nil, or a function to describe
-- @param client the REPL's client (for its methods)
-- @param history_path where the history goes, for the text
-- @param text how `what` was written (see usage_of)
function help.show(what, client, history_path, text)
  local mistapi = require "mistapi"
  if what == nil then
    print(mistapi.help_text())
    print(help.REPL_TEXT:format(history_path or "no file"))
    return
  end
  if type(what) ~= "function" then
    print("help(fn): give a function, as help(tokens.create_org_api_token); help() shows them all")
    return
  end
  print(help.usage_of(what, client, text) or "no usage known for this function; help() lists every call")
end

return help
