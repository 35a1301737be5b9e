--- The commands of `mistapi-tokens`: the one table that usage, `help COMMAND`,
-- shell completion and dispatch all read. A command is a module
-- `mistapi.cli.commands.<name>`; a group's subcommands are modules
-- `mistapi.cli.commands.<group>.<name>`. To add one: write the module (see
-- docs/cli.md, "Adding a command") and put its name in `NAMES`.
-- @module mistapi.cli.registry

local registry = {}

--- Top-level commands, in the order the usage lists them.
registry.NAMES = { "list", "get", "create", "update", "delete", "rotate", "audit", "plan", "apply", "self",
  "whoami", "repl", "help", "completion" }

--- Options every command takes. Each row: { name, kind, VALUE, help }. Kinds:
-- flag, value, list (repeatable), count (whole >= 0), positive (whole >= 1),
-- seconds (number > 0), privilege and view (the --privilege/--view pairs).
registry.GLOBAL_OPTIONS = {
  { "org", "value", "ID", "the org (default: $MIST_ORG_ID); audit, plan and apply take it repeated, one org each" },
  { "token-file", "value", "FILE", "read the API token from FILE ('-': standard input); default $MIST_APITOKEN" },
  { "env-file", "value", "FILE", "read MIST_* variables the environment lacks from FILE (default: $MIST_ENV_FILE;"
    .. " ~/.mist_env when nothing else gives a token)" },
  { "json", "flag", nil, "print JSON (for jq) instead of a table" },
  { "debug", "flag", nil, "show each request on stderr (method, path, status, time, attempt); -v too" },
  { "max-retries", "count", "N", "retries of a call that failed in a way worth retrying (default 3)" },
  { "timeout", "seconds", "S", "seconds for one attempt (default 30)" },
  { "budget", "value", "URL", "count each token's calls in memory: (default: $MIST_BUDGET, else this run alone),"
    .. " shm:NAME or redis://HOST:PORT[/DB] (shared)" },
  { "budget-limit", "positive", "N", "calls a token may make in a --budget-window (default 5000, Mist's);"
    .. " a lower one leaves room for other tools on the same token" },
  { "budget-window", "seconds", "S", "the seconds --budget-limit counts over (default 3600)" },
  { "base-url", "value", "URL", "the Mist API (default: $MIST_HOST, else $MIST_BASE_URL, else api.mist.com)" },
  { "host", "value", "HOST", "the Mist API's host name, as api.eu.mist.com" },
  { "cloud", "value", "NAME", "a Mist cloud by name (global01, emea01, apac01, ...)" },
  { "ca-file", "value", "FILE", "trust the CA certificates of this PEM file (default: $CURL_CA_BUNDLE,"
    .. " else $SSL_CERT_FILE, else the system's)" },
  { "help", "flag", nil, "this text; -h too" },
  { "version", "flag", nil, "the versions of this program, the module and libcurl" },
}

--- Short options and the long ones they stand for.
registry.SHORT = { ["-h"] = "help", ["-v"] = "debug" }

--- The module of a command (require caches it).
-- @param name "list", or a group ("self")
-- @param sub nil, or the group's subcommand ("list")
function registry.load(name, sub)
  return require("mistapi.cli.commands." .. name .. (sub and ("." .. sub) or ""))
end

--- Is `name` a top-level command?
function registry.is_command(name)
  for _, n in ipairs(registry.NAMES) do
    if n == name then return true end
  end
  return false
end

--- Finds a command from the words of a command line.
-- @return the module, its full name ("list", "self create"), or nil and a message
-- " (did you mean X?)" when a known word is close to `word`, else "".
local function did_you_mean(word, known)
  local best = require("mistapi.config").closest(word, known)
  return best and (" (did you mean %s?)"):format(best) or ""
end
registry.did_you_mean = did_you_mean

function registry.find(name, sub)
  if not registry.is_command(name) then
    return nil, ('unknown command "%s"%s: use %s'):format(name, did_you_mean(name, registry.NAMES),
      table.concat(registry.NAMES, ", "))
  end
  local mod = registry.load(name)
  if not mod.group then return mod, name end
  if not sub then
    return nil, ("%s needs a subcommand: %s"):format(name, table.concat(mod.group, ", "))
  end
  for _, s in ipairs(mod.group) do
    if s == sub then return registry.load(name, sub), name .. " " .. sub end
  end
  return nil, ('unknown command "%s %s"%s: use %s'):format(name, sub, did_you_mean(sub, mod.group),
    table.concat(mod.group, ", "))
end

--- The option names a command takes (its own and the global ones).
function registry.option_names(cmd)
  local names = {}
  for _, row in ipairs(cmd and cmd.options or {}) do names[#names + 1] = row[1] end
  for _, row in ipairs(registry.GLOBAL_OPTIONS) do names[#names + 1] = row[1] end
  return names
end

--- The option row named `name` for a command (or only the global ones), or nil.
function registry.option(cmd, name)
  for _, row in ipairs(cmd and cmd.options or {}) do
    if row[1] == name then return row end
  end
  for _, row in ipairs(registry.GLOBAL_OPTIONS) do
    if row[1] == name then return row end
  end
  return nil
end

return registry
