--- `mistapi-tokens get ID`: one token, its key masked.
-- @module mistapi.cli.commands.get

return require("mistapi.cli.get_command").new { summary = "one token", org = true }
