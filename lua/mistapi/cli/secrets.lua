--- What the CLI must never print: the API tokens and password it was given.
-- Every line it writes about a failure or a request goes through `scrub`,
-- the library's own scrubber (errors.scrub: one line, bounded, mistapi.text's
-- character rule), so a server can't forge lines on the terminal either.
-- @module mistapi.cli.secrets

local errors = require "mistapi.errors"

local secrets = {}

--- The secrets of this run: the token given, and those the environment holds.
function secrets.known(getenv, token)
  local list = { token }
  for _, name in ipairs { "MIST_APITOKEN", "MIST_API_TOKEN", "MIST_PASSWORD" } do
    local v = getenv(name)
    if v and v ~= "" then
      list[#list + 1] = v
      for part in v:gmatch("[^,%s]+") do list[#list + 1] = part end
    end
  end
  return list
end

--- `text` with every known secret replaced, control characters removed, and
-- cut to a bounded length: the library's one scrubber.
function secrets.scrub(text, known)
  return errors.scrub(tostring(text), known or {})
end

return secrets
