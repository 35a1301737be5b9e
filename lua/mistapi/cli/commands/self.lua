--- `mistapi-tokens self ...`: the API tokens of the user the API token
-- belongs to (`client:self_api_tokens()`); they act with that user's
-- privileges. An org token can't use them (the server answers 403).
-- @module mistapi.cli.commands.self

return {
  summary = "your own API tokens, which act with your privileges",
  group = { "list", "get", "create", "update", "delete", "rotate" },
}
