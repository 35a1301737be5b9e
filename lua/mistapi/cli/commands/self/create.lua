--- `mistapi-tokens self create`: a new token of your own. Its key is shown
-- only this once: `mistapi.cli.new_token` hands it over.
-- @module mistapi.cli.commands.self.create

local new_token = require "mistapi.cli.new_token"
local output = require "mistapi.cli.output"
local target = require "mistapi.lifecycle.target"

return {
  summary = "a new token of your own; its key is shown only this once",
  synopsis = "[--name NAME] [--key-file PATH|-]",
  options = {
    { "name", "value", "NAME", "the token's name" },
    { "key-file", "value", "PATH", "write the key to a new file PATH (mode 0600) instead of printing it;"
      .. " '-': the key alone on standard output, the token on standard error" },
  },
  run = function(ctx, o)
    return new_token.run(ctx, o, target.of(ctx.client:self_api_tokens()), { name = o.name }, output.user_token)
  end,
}
