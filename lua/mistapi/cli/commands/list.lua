--- `mistapi-tokens list`: every token of the org, or the ones a filter keeps.
-- @module mistapi.cli.commands.list

return require("mistapi.cli.list_command").new {
  summary = "every token of the org (all pages, or --page N)",
  org = true,
}
