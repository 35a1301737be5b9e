--- The Org API Tokens of an organisation: `client:orgs_api_tokens()`.
-- Built by `mistapi.resource` from its row in `mistapi.resources` and its
-- five rows in `mistapi.operations`; the helpers (`each_org_api_token`,
-- `list_all_org_api_tokens`, `get_org_api_tokens`, `delete_org_api_tokens`)
-- come from the same machinery. The methods are described in docs/ldoc.
-- @module mistapi.api_tokens

local resource = require "mistapi.resource"

local api_tokens = { class = resource.class_of("orgs_api_tokens") }

--- The resource of `client` (as `client:orgs_api_tokens()` gives it).
function api_tokens.new(client)
  return resource.new("orgs_api_tokens", client)
end

return api_tokens
