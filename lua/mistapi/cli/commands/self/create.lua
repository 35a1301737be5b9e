--- `mistapi-tokens self create`: a new token of your own. Its key is shown
-- only this once: `mistapi.cli.new_token` hands it over.
-- @module mistapi.cli.commands.self.create

return require("mistapi.cli.new_token").command {
  summary = "a new token of your own; its key is shown only this once",
  synopsis = "[--name NAME] [--key-file PATH|-]",
  options = {
    { "name", "value", "NAME", "the token's name" },
  },
  body = function(_, o) return { name = o.name } end,
}
