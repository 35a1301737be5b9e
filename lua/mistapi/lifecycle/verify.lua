--- Proof that a new key works: `GET /api/v1/self` called with that key (a
-- client of its own, with the same server and connection settings), and the
-- privileges it answers are the ones that were asked for.
-- @module mistapi.lifecycle.verify

local errors = require "mistapi.errors"
local privileges = require "mistapi.lifecycle.privileges"

local verify = {}

-- The settings a client for the new key shares with the caller's client.
local SHARED = {
  "base_url", "timeout", "connect_timeout", "max_retries", "retry_base", "retry_cap", "deadline",
  "ca_file", "ca_path", "proxy", "insecure_http", "max_body", "user_agent", "transport", "log",
}

local function no_env() return nil end

local function client_for(client, key)
  local mistapi = require "mistapi"
  local opts = { token = key, getenv = no_env }
  for _, k in ipairs(SHARED) do opts[k] = client.settings[k] end
  local new, err = mistapi.new(opts)
  -- orgs applied side by side (mistapi.interleave): the new key's calls go
  -- out with the others' (same server and settings) instead of holding them up
  if new and client.transport.interleaved then new.pipeline.transport = client.transport end
  return new, err
end

--- The privileges `/self` answers for `client`.
function verify.self_privileges(client)
  local res, err = client:get_self()
  if not res then return nil, err end
  return type(res.data) == "table" and res.data.privileges or {}
end

--- Checks `key`: /self answers with it, with privileges equal to `expected`.
-- @param client the caller's client
-- @param key the new whole key
-- @param expected the privileges asked for
-- @param opts { verify_attempts = 3, verify_wait = 2 }: a new key may take a
--   moment to be known everywhere, so a 401 is tried again a few times
-- @return true, or nil and an error (its message never holds the key)
function verify.key(client, key, expected, opts)
  local new, cerr = client_for(client, key)
  if not new then return nil, cerr end
  local attempts = opts and opts.verify_attempts or 3
  local wait = opts and opts.verify_wait or 2
  local got, err
  for i = 1, attempts do
    got, err = verify.self_privileges(new)
    if got or not (errors.is_error(err) and err:is_unauthorized()) or i == attempts then break end
    client.transport.sleep(wait)
  end
  new:close()
  if not got then return nil, err end
  if not privileges.same(got, expected) then
    return nil, errors.new("validation", ("the new key has privileges %s, but %s were asked for"):format(
      privileges.text(got), privileges.text(expected)))
  end
  return true
end

--- The check of a new token, by `opts.verify`: its key used for `/self`
-- (the default, the only proof that the key works), or, with
-- `opts.verify == false`, the token read back with the caller's client and
-- its privileges compared (for a host outside the token's src_ips, which can't
-- use the key at all).
-- @param t the target
-- @param token the new token
-- @param key its whole key
-- @param expected the privileges asked for
-- @param opts { verify = false | nil, verify_attempts, verify_wait }
-- @return the step's name ("verify" or "check"), or nil and an error
function verify.new_token(t, token, key, expected, opts)
  if opts and opts.verify == false then
    local got, err = t:get(token.id)
    if not got then return nil, err end
    if t.has_privileges and not privileges.same(got.privileges, expected) then
      return nil, errors.new("validation", ("the new token has privileges %s, but %s were asked for"):format(
        privileges.text(got.privileges), privileges.text(expected)))
    end
    return "check"
  end
  local ok, err = verify.key(t.client, key, expected, opts)
  if ok then return "verify" end
  if errors.is_error(err) and err:is_forbidden() and type(token.src_ips) == "table" and #token.src_ips > 0 then
    err.message = errors.tidy(err.message) .. " (is this host outside the token's src_ips? verify = false,"
      .. " the CLI's --no-verify, checks the token without using its key)"
  end
  return nil, err
end

return verify
