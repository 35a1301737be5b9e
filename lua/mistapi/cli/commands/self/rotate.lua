--- `mistapi-tokens self rotate ID --key-file F`: a token of your own
-- replaced as `rotate` replaces an org token (key to F first, proved with
-- GET /api/v1/self, old one deleted or kept until --finish).
-- @module mistapi.cli.commands.self.rotate

return require("mistapi.cli.rotation").command {
  command = "self rotate",
  summary = "replace a token of your own by a new one; the key goes to a file first",
  synopsis = "--key-file PATH|- [--keep-old] [--name NAME] | --finish",
  rotate = "rotate_api_token",
  finish = "finish_api_token_rotation",
}
