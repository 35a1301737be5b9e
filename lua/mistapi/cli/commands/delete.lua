--- `mistapi-tokens delete ID|NAME`: delete a token, after asking on a terminal.
-- @module mistapi.cli.commands.delete

return require("mistapi.cli.delete_command").new {
  summary = "delete a token (asks first on a terminal; --yes in scripts)",
  org = true,
}
