--- `mistapi-tokens self delete ID|NAME`: delete a token of your own, after asking on a terminal.
-- @module mistapi.cli.commands.self.delete

return require("mistapi.cli.delete_command").new {
  summary = "delete a token of your own (asks first on a terminal; --yes in scripts)",
  whose = "your ",
}
