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

-- The client's own methods, which no row describes.
local CLIENT = {
  get_self = "client:get_self()   -- GET /api/v1/self: who the token (or user) is, with privileges",
  login = "client:login()   -- log in now (a session client logs in by itself on its first call)",
  logout = "client:logout()   -- end the login session",
  close = "client:close()   -- free the connection; the client can't be used after",
}

local function helper_usage(row, kind, name)
  local class = resource.class_of(row.accessor)
  local list, v = class.ops.list, row.var
  local parent = list and list.params[1] or ""
  local first = parent ~= "" and (parent .. ", ") or ""
  if kind == "each" then
    return ("for item in %s:%s(%s) do ... end   -- every item of every page; raises on error")
      :format(v, name, parent)
  elseif kind == "list_all" then
    return ("%s:%s(%s [, { limit = 100, progress = fn }])   -- every page in one result"):format(v, name, parent)
  elseif kind == "get_many" or kind == "delete_many" then
    return ("%s:%s(%sids [, { concurrency = 8 }])   -- many at once: res.data[i], res.errors[i], res.failed")
      :format(v, name, first)
  end
  return nil
end

--- The usage text of a function the REPL can reach, or nil.
function help.usage_of(fn, client)
  for _, row in ipairs(resources) do
    local class = resource.class_of(row.accessor)
    for _, op in ipairs(operations.of(row.accessor)) do
      if class[op.name] == fn then
        return ("%s\n  %s %s -> %s%s"):format(op.usage, op.method, op.path, op.returns,
          op.idempotent and "" or "   (not retried once the server may have seen it)")
      end
    end
    for kind, name in pairs(row.helpers or {}) do
      if class[name] == fn then return helper_usage(row, kind, name) end
    end
    if client and client[row.accessor] == fn then
      return ("%s = client:%s()   -- %s in the Go SDK"):format(row.var, row.accessor, row.go)
    end
  end
  if client then
    for name, text in pairs(CLIENT) do
      if client[name] == fn then return text end
    end
  end
  local mistapi = package.loaded["mistapi"]
  if mistapi and fn == mistapi.new then
    return "client = mistapi.new { token = ..., host = ..., org_id = ... }   -- see docs/configuration.md"
  end
  -- any loaded mistapi module with a usage table for its functions
  for name, mod in pairs(package.loaded) do
    if type(name) == "string" and name:match("^mistapi%.") and type(mod) == "table"
        and type(rawget(mod, "usage")) == "table" then
      for fname, text in pairs(mod.usage) do
        if rawget(mod, fname) == fn then return text end
      end
    end
  end
  return nil
end

--- Prints help: everything, or the usage of one function.
-- @param what nil, or a function to describe
-- @param client the REPL's client (for its methods)
-- @param history_path where the history goes, for the text
function help.show(what, client, history_path)
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
  print(help.usage_of(what, client) or "no usage known for this function; help() lists every call")
end

return help
