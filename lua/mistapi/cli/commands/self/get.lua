--- `mistapi-tokens self get ID`: one token of your own, its key masked.
-- @module mistapi.cli.commands.self.get

local json = require "mistapi.cli.json"
local output = require "mistapi.cli.output"

return {
  summary = "one token of your own",
  args = { "ID" },
  run = function(ctx, o)
    local res, err = ctx.client:self_api_tokens():get_api_token(o.id)
    if not res then return ctx.fail(err) end
    return ctx.out(o.json and json.encode(res.data) or output.user_token(res.data))
  end,
}
