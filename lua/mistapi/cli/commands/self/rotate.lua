--- `mistapi-tokens self rotate ID --key-file F`: a token of your own
-- replaced as `rotate` replaces an org token (key to F first, proved with
-- GET /api/v1/self, old one deleted or kept until --finish).
-- @module mistapi.cli.commands.self.rotate

local rotation = require "mistapi.cli.rotation"

return {
  summary = "replace a token of your own by a new one; the key goes to a file first",
  args = { "ID" },
  synopsis = "--key-file PATH|- [--keep-old] [--name NAME] | --finish",
  options = rotation.OPTIONS,
  run = function(ctx, o)
    local mine = ctx.client:self_api_tokens()
    return rotation.run(ctx, o, {
      command = "self rotate",
      rotate = function(id, opts) return mine:rotate_api_token(id, opts) end,
      finish = function(id, opts) return mine:finish_api_token_rotation(id, opts) end,
    })
  end,
}
