--- The command line of `mistapi-tokens`, parsed into a table.
-- Words before the command may be global options only; after it, the
-- command's own options too. Options take a value as the next argument or
-- after "="; repeatable ones collect into arrays. Mistakes return
-- `nil, message` (a usage error, exit 2).
-- @module mistapi.cli.args

local registry = require "mistapi.cli.registry"

local args = {}

local TOKEN_REFUSED = "--token is not accepted: every user on this machine can read a command line"
  .. " (ps, /proc); use --token-file FILE, or put it in the environment: export MIST_APITOKEN=..."

-- Checks and converts the value of a numeric kind; nil and a message when wrong.
local NUMBERS = {
  count = function(v) return v and v >= 0 and v == math.floor(v), "must be a whole number" end,
  positive = function(v) return v and v >= 1 and v == math.floor(v), "must be a whole number from 1" end,
  seconds = function(v) return v and v > 0 and v < math.huge, "must be a positive number" end,
}

local function store(o, row, value)
  local name, kind = row[1], row[2]
  if kind == "privilege" then
    o.privileges[#o.privileges + 1] = { text = value, views = {} }
  elseif kind == "view" then
    local last = o.privileges[#o.privileges]
    if not last then return nil, "--view belongs to a --privilege: give the privilege first" end
    last.views[#last.views + 1] = value
  elseif kind == "list" then
    o.lists[name] = o.lists[name] or {}
    table.insert(o.lists[name], value)
  elseif NUMBERS[kind] then
    local v = tonumber(value)
    local ok, why = NUMBERS[kind](v)
    if not ok then return nil, "--" .. name .. " " .. why end
    o[name] = v
  else
    o[name] = value
    -- every value given, in order: --org may name several orgs (mistapi.cli.fleet)
    o.repeated[name] = o.repeated[name] or {}
    table.insert(o.repeated[name], value)
  end
  return true
end

--- Parses `argv` (an array of strings, without the program name).
-- @return { command = "list" | "self create", cmd = <module>, args = {...}, id =, org =,
--   privileges = { {text, views} }, src_ips =, lists = { name = {...} },
--   repeated = { name = {...} } (each value option's values in order: the last is o[name]), json =, ... }
--   or nil and a message
function args.parse(argv)
  local o = { privileges = {}, lists = {}, repeated = {}, args = {} }
  local words = {}          -- the command (and subcommand) then its arguments
  local cmd                 -- the command's module, once known
  local i = 1
  while i <= #argv do
    local a = argv[i]
    local name, value = a:match("^%-%-([%w%-]+)=(.*)$")
    if not name then name = a:match("^%-%-([%w%-]+)$") or registry.SHORT[a] end
    if a == "--" then
      for j = i + 1, #argv do words[#words + 1] = argv[j] end
      break
    elseif name == "token" or name == "apitoken" then
      return nil, TOKEN_REFUSED
    elseif name then
      local row = registry.option(cmd, name)
      if not row then
        local guess = registry.did_you_mean(name, registry.option_names(cmd)):gsub("mean ", "mean --")
        return nil, "unknown option --" .. name .. guess
          .. ((cmd or guess ~= "") and "" or " (command options go after the command)")
      end
      if row[2] == "flag" then
        if value then return nil, "--" .. name .. " takes no value" end
        o[name] = true
      else
        if not value then
          i = i + 1
          value = argv[i]
          if value == nil then return nil, "--" .. name .. " needs a value" end
        end
        local ok, err = store(o, row, value)
        if not ok then return nil, err end
      end
    elseif a:match("^%-") and a ~= "-" then
      return nil, "unknown option " .. a
    else
      words[#words + 1] = a
      if not cmd and not o.help and not o.version then
        -- The command, or a group and then its subcommand, decides which options follow.
        local top = words[1]
        local mod = registry.is_command(top) and registry.load(top)
        if mod and (not mod.group or #words == 2) then
          local found, full = registry.find(top, words[2])
          if not found then return nil, full end
          cmd, o.command, o.cmd = found, full, found
          words = {}
        elseif not mod then
          local _, err = registry.find(top)
          return nil, err
        end
      end
    end
    i = i + 1
  end
  o.src_ips = o.lists["src-ip"] or {}
  if o.help or o.version then
    o.args = words
    return o
  end
  if not cmd then
    if words[1] then return nil, select(2, registry.find(words[1])) end
    return nil, "no command: use " .. table.concat(registry.NAMES, ", ")
  end
  local wanted = cmd.args or {}
  for n, argname in ipairs(wanted) do
    local v = words[n]
    if not v and not argname:match("^%[") then
      return nil, ("%s needs %s: mistapi-tokens %s %s"):format(o.command, argname, o.command,
        table.concat(wanted, " "))
    end
    o.args[n] = v
    o[argname:gsub("[%[%]]", ""):lower()] = v
  end
  if #words > #wanted then return nil, ('unexpected argument "%s"'):format(words[#wanted + 1]) end
  return o
end

return args
