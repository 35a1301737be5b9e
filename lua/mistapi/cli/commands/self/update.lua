--- `mistapi-tokens self update ID --name NAME`: rename a token of your own.
-- @module mistapi.cli.commands.self.update

return require("mistapi.cli.update_command").new {
  summary = "rename a token of your own",
  options = {
    { "name", "value", "NAME", "the new name (required)" },
  },
  change = function(ctx, o)
    if not o.name then return nil, ctx.usage("self update needs --name") end
    return { name = o.name }
  end,
}
