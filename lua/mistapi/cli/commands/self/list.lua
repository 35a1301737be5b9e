--- `mistapi-tokens self list`: every token of your own, or the ones a filter keeps.
-- @module mistapi.cli.commands.self.list

return require("mistapi.cli.list_command").new {
  summary = "every token of your own (all pages, or --page N)",
}
