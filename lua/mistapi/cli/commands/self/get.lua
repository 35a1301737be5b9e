--- `mistapi-tokens self get ID`: one token of your own, its key masked.
-- @module mistapi.cli.commands.self.get

return require("mistapi.cli.get_command").new { summary = "one token of your own" }
