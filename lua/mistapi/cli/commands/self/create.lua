--- `mistapi-tokens self create`: a new token of your own. Its key is shown
-- only this once: `mistapi.cli.new_token` hands it over.
-- @module mistapi.cli.commands.self.create

local new_token = require "mistapi.cli.new_token"
local output = require "mistapi.cli.output"

return {
  summary = "a new token of your own; its key is shown only this once",
  synopsis = "[--name NAME] [--key-file PATH|-]",
  options = {
    { "name", "value", "NAME", "the token's name" },
    { "key-file", "value", "PATH", "write the key to a new file PATH (mode 0600) instead of printing it;"
      .. " '-': the key alone on standard output, the token on standard error" },
  },
  run = function(ctx, o)
    return new_token.run(ctx, o, function()
      return ctx.client:self_api_tokens():create_api_token { name = o.name }
    end, output.user_token)
  end,
}
