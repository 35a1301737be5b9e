--- The command line of `mistapi-tokens`, parsed into a table.
-- Options take a value as the next argument or after "="; repeatable options collect
-- into arrays. Mistakes return `nil, message` (a usage error, exit 2).
-- @module mistapi.cli.args

local args = {}

args.COMMANDS = { list = true, get = true, create = true, update = true, delete = true }

-- name -> "value" (one), "list" (repeatable), "flag"
local OPTIONS = {
  org = "value", name = "value", privilege = "list", view = "list", ["src-ip"] = "list",
  ["base-url"] = "value", host = "value", cloud = "value", json = "flag", ["key-file"] = "value",
  limit = "value", page = "value", help = "flag", ["max-retries"] = "value", timeout = "value",
}

local TOKEN_REFUSED = "--token is not accepted: every user on this machine can read a command line"
  .. " (ps, /proc); put the API token in the environment: export MIST_APITOKEN=..."

--- Parses `argv` (an array of strings, without the program name).
-- @return { command =, id =, org =, name =, privileges = { {text, views} }, src_ips =, json =, ... }
--   or nil and a message
function args.parse(argv)
  local o = { privileges = {}, src_ips = {} }
  local positional = {}
  local i = 1
  while i <= #argv do
    local a = argv[i]
    local name, value = a:match("^%-%-([%w%-]+)=(.*)$")
    if not name then name = a:match("^%-%-([%w%-]+)$") end
    if a == "-h" then name = "help" end
    if a == "--" then
      for j = i + 1, #argv do positional[#positional + 1] = argv[j] end
      break
    elseif name == "token" or name == "apitoken" then
      return nil, TOKEN_REFUSED
    elseif name then
      local kind = OPTIONS[name]
      if not kind then return nil, "unknown option --" .. name end
      if kind == "flag" then
        if value then return nil, "--" .. name .. " takes no value" end
        o[name] = true
      else
        if not value then
          i = i + 1
          value = argv[i]
          if value == nil then return nil, "--" .. name .. " needs a value" end
        end
        if name == "privilege" then
          o.privileges[#o.privileges + 1] = { text = value, views = {} }
        elseif name == "view" then
          local last = o.privileges[#o.privileges]
          if not last then return nil, "--view belongs to a --privilege: give the privilege first" end
          last.views[#last.views + 1] = value
        elseif name == "src-ip" then
          o.src_ips[#o.src_ips + 1] = value
        else
          o[name] = value
        end
      end
    elseif a:match("^%-") and a ~= "-" then
      return nil, "unknown option " .. a
    else
      positional[#positional + 1] = a
    end
    i = i + 1
  end
  if o.help then return o end
  o.command = positional[1]
  if not o.command then return nil, "no command: use list, get, create, update or delete" end
  if not args.COMMANDS[o.command] then
    return nil, ('unknown command "%s": use list, get, create, update or delete'):format(o.command)
  end
  local wants_id = o.command == "get" or o.command == "update" or o.command == "delete"
  if wants_id then
    o.id = positional[2]
    if not o.id then return nil, o.command .. " needs the token id: mistapi-tokens " .. o.command .. " ID" end
  end
  local max = wants_id and 2 or 1
  if #positional > max then return nil, ('unexpected argument "%s"'):format(positional[max + 1]) end
  for _, n in ipairs { "limit", "page", "max-retries", "timeout" } do
    if o[n] then
      local v = tonumber(o[n])
      if not v or v < 0 or (v == 0 and n ~= "max-retries") or (n ~= "timeout" and v ~= math.floor(v)) then
        return nil, "--" .. n .. (n == "timeout" and " must be a positive number" or " must be a whole number")
      end
      o[n] = v
    end
  end
  return o
end

return args
