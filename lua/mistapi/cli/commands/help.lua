--- `mistapi-tokens help [COMMAND]`: the usage, or one command's options.
-- @module mistapi.cli.commands.help

local usage = require "mistapi.cli.usage"
local registry = require "mistapi.cli.registry"

return {
  summary = "the usage, or a command's own options",
  args = { "[COMMAND]", "[SUBCOMMAND]" },
  client = false,
  complete_args = function(n) return n == 1 and registry.NAMES or {} end,
  run = function(ctx, o)
    if not o.args[1] then return ctx.out(usage.main()) end
    local text, err = usage.command(o.args[1], o.args[2])
    if not text then return ctx.usage(err) end
    return ctx.out(text)
  end,
}
