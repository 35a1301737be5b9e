--- The help texts of `mistapi-tokens`, made from the command registry, so a
-- command added there shows up in the usage, in `help COMMAND` and in
-- completion with nothing else to edit.
-- @module mistapi.cli.usage

local registry = require "mistapi.cli.registry"

local usage = {}

--- Every exit status, as `--help` and docs/cli.md tell them.
usage.EXIT_TEXT = [[
exit status:
  0  done
  1  nothing done: the confirmation was declined; audit: a finding at or above --fail-on
  2  usage: a wrong option or argument, no org, no API token, a --key-file that can't be made
  3  validation: a value the API would refuse (checked before anything is sent)
  4  HTTP 4xx: not found, unauthorized, forbidden, ...
  5  HTTP 5xx, redirect, transport failure, timeout, no room in the call budget (--budget),
     or an answer that can't be read
  6  rotate, apply: a step of ours failed (a key that could not be stored); the message says what exists now
  7  apply PLANFILE: the org changed since the plan was made; nothing was changed
  70 internal error (a bug: please report it)
  74 what it printed could not be written (standard output full or closed); the work may be done
  75 rotate: another run of the same rotation holds its lock; nothing was changed
with plan --detailed-exitcode: 0 no changes, 2 changes, 1 any error]]

local function option_lines(rows)
  local lines = {}
  for _, row in ipairs(rows) do
    local name, _, value, help = row[1], row[2], row[3], row[4]
    local left = "--" .. name .. (value and (" " .. value) or "")
    if #left > 20 then
      lines[#lines + 1] = "  " .. left
      lines[#lines + 1] = ("  %-20s %s"):format("", help)
    else
      lines[#lines + 1] = ("  %-20s %s"):format(left, help)
    end
  end
  return table.concat(lines, "\n")
end

-- An argument as the usage shows it: a token is named by its id or its name.
local function arg_text(a) return a == "ID" and "ID|NAME" or a end

local function synopsis(mod, full)
  local parts = { "mistapi-tokens", full }
  local text = mod.synopsis
  for _, a in ipairs(mod.args or {}) do
    -- a synopsis that starts with the argument already names it
    if text and text:sub(1, #a + 1) == a .. " " then text = text:sub(#a + 2) end
    parts[#parts + 1] = arg_text(a)
  end
  if text then
    parts[#parts + 1] = text
  elseif mod.options and #mod.options > 0 then
    parts[#parts + 1] = "[options]"
  end
  return table.concat(parts, " ")
end

--- The text of `mistapi-tokens --help`.
function usage.main()
  local lines = { "usage: mistapi-tokens COMMAND [options]", "", "commands:" }
  for _, name in ipairs(registry.NAMES) do
    local mod = registry.load(name)
    local left = name
    if mod.group then
      left = name .. " " .. table.concat(mod.group, "|")
    elseif mod.args then
      local shown = {}
      for i, a in ipairs(mod.args) do shown[i] = arg_text(a) end
      left = name .. " " .. table.concat(shown, " ")
    end
    if #left > 28 then
      lines[#lines + 1] = "  " .. left
      left = ""
    end
    lines[#lines + 1] = ("  %-28s %s"):format(left, mod.summary)
  end
  lines[#lines + 1] = ""
  lines[#lines + 1] = "options of every command:"
  lines[#lines + 1] = option_lines(registry.GLOBAL_OPTIONS)
  lines[#lines + 1] = ""
  lines[#lines + 1] = "mistapi-tokens help COMMAND shows a command's own options."
  lines[#lines + 1] = "ID|NAME: a token's id, or its name when no other token has it."
  lines[#lines + 1] = "The API token comes from $MIST_APITOKEN or --token-file, never from an argument"
    .. " (ps shows those)."
  lines[#lines + 1] = usage.EXIT_TEXT
  return table.concat(lines, "\n")
end

--- The text of `mistapi-tokens help NAME [SUB]`, or nil and a message.
function usage.command(name, sub)
  if not registry.is_command(name) then return registry.find(name) end
  local mod = registry.load(name)
  if mod.group and not sub then
    local lines = { "usage: mistapi-tokens " .. name .. " SUBCOMMAND [options]", "", mod.summary, "",
                    "subcommands:" }
    for _, s in ipairs(mod.group) do
      local submod = registry.load(name, s)
      local left = synopsis(submod, s):gsub("^mistapi%-tokens ", "")
      if #left > 26 then
        lines[#lines + 1] = "  " .. left
        left = ""
      end
      lines[#lines + 1] = ("  %-26s %s"):format(left, submod.summary)
    end
    return table.concat(lines, "\n")
  end
  local found, full = registry.find(name, sub)
  if not found then return nil, full end
  local lines = { "usage: " .. synopsis(found, full), "", found.summary }
  if found.description then
    lines[#lines + 1] = ""
    lines[#lines + 1] = found.description
  end
  if found.options and #found.options > 0 then
    lines[#lines + 1] = ""
    lines[#lines + 1] = "options:"
    lines[#lines + 1] = option_lines(found.options)
  end
  lines[#lines + 1] = ""
  lines[#lines + 1] = "and the options of every command (mistapi-tokens --help)."
  return table.concat(lines, "\n")
end

return usage
