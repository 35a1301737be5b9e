--- Handlers of the example nginx server (nginx.conf beside this file):
--   GET  /tokens            the org's API tokens as JSON, keys masked
--   POST /tokens/ID/rotate  a new token like ID (name, privileges, src_ips); once the new
--                           key is proven to work, ID is deleted; the new key is shown once
-- Every /tokens call needs `Authorization: Bearer <MISTAPI_APP_SECRET>`: this server holds
-- an org admin's token, so any program (or web page) that can reach it could otherwise use it.
-- nginx.conf answers only to Host 127.0.0.1 / localhost (no DNS rebinding).
-- mistapi itself reads MIST_HOST, MIST_APITOKEN and MIST_ORG_ID (nginx's `env` directive
-- passes them), as everywhere else: see the README's configuration table.
local mistapi = require "mistapi"
local core = require "mistapi.core"
local display = require "mistapi.display"

local app = {}

-- One client a worker: it holds settings only; nginx pools the connections.
local client, client_err

local function get_client()
  if client then return client end
  if client_err then return nil, client_err end
  client, client_err = mistapi.new { timeout = 10, connect_timeout = 3, max_retries = 1 }
  return client, client_err
end

local function reply(status, doc, headers)
  ngx.status = status
  ngx.header["Content-Type"] = "application/json"
  ngx.header["Cache-Control"] = "no-store"
  for k, v in pairs(headers or {}) do ngx.header[k] = v end
  ngx.say(core.encode(doc))
  return ngx.exit(status)
end

local function array(t)
  return setmetatable(t or {}, core.array_mt)
end

-- Compares two strings through an HMAC under a per-worker random key, so how long
-- the comparison takes tells nothing about the secret.
local compare_key
local function same_secret(a, b)
  if not compare_key then
    local raw = assert(io.open("/dev/urandom", "rb"))
    compare_key = raw:read(32)
    raw:close()
  end
  return ngx.hmac_sha1(compare_key, a) == ngx.hmac_sha1(compare_key, b)
end

-- nil when the caller holds the shared secret; else the answer already sent.
local function refuse_unauthorised()
  local secret = os.getenv("MISTAPI_APP_SECRET")
  if not secret or #secret < 16 then
    -- fail closed: without a secret this server would hand an admin token to anyone
    return reply(500, { error = "configuration",
      message = "set MISTAPI_APP_SECRET (16 characters or more) and name it by an env directive" })
  end
  local given = (ngx.var.http_authorization or ""):match("^Bearer%s+(%S+)%s*$")
  if not given or not same_secret(given, secret) then
    return reply(401, { error = "unauthorized", message = "send Authorization: Bearer <MISTAPI_APP_SECRET>" },
      { ["WWW-Authenticate"] = 'Bearer realm="mistapi example"' })
  end
end

-- The status this server answers for a mistapi error: the caller's mistakes
-- stay 4xx; trouble with the Mist API (its 5xx, our credentials) is a 502.
local function status_for(err)
  if err.kind == "validation" then return 400 end
  if err.kind == "timeout" then return 504 end
  if err.kind == "http" then
    if err.status == 400 or err.status == 404 or err.status == 429 then return err.status end
  end
  return 502
end

local function fail(err)
  local status = status_for(err)
  local headers = err.retry_after and { ["Retry-After"] = tostring(math.ceil(err.retry_after)) } or nil
  -- tostring(err) never holds a secret; err.body is not shown
  ngx.log(ngx.WARN, "mistapi: ", tostring(err))
  return reply(status, { error = err.kind, status = err.status, message = tostring(err) }, headers)
end

-- "1qkb...QQCL": never more of a key than the API itself shows in a list
-- (the library's one mask).
local function mask(key)
  if type(key) ~= "string" then return nil end
  return display.mask(key)
end

local function privileges_view(list)
  local out = array()
  for i, p in ipairs(list or {}) do
    out[i] = { role = p.role, scope = p.scope, site_id = p.site_id, sitegroup_id = p.sitegroup_id,
               views = p.views and array(p.views) or nil }
  end
  return out
end

local function token_view(t, key)
  return {
    id = t.id, name = t.name, org_id = t.org_id, key = key or mask(t.key),
    created_time = t.created_time, created_by = t.created_by, last_used = t.last_used,
    privileges = privileges_view(t.privileges), src_ips = t.src_ips and array(t.src_ips) or nil,
  }
end

local function setup()
  local c, err = get_client()
  if not c then return nil, nil, err end
  if not c.org_id then
    return nil, nil, mistapi.errors.validation("MIST_ORG_ID is not set (and named by an env directive)")
  end
  return c:orgs_api_tokens(), c.org_id, c
end

function app.list_tokens()
  if ngx.req.get_method() ~= "GET" then return reply(405, { error = "method not allowed" }) end
  if refuse_unauthorised() then return end
  local tokens, org_id, err = setup()
  if not tokens then return reply(500, { error = "configuration", message = tostring(err) }) end
  local res
  res, err = tokens:list_all_org_api_tokens(org_id)
  if not res then return fail(err) end
  local out = array()
  for i, t in ipairs(res.data) do out[i] = token_view(t) end
  return reply(200, out)
end

-- Is `token` (as the API shows it, key masked) one this server itself runs with?
-- Rotating that one would delete the key nginx holds: every later call would fail.
local function is_own(c, token)
  for _, own in ipairs(c.settings.tokens) do
    if display.mask(own) == token.key then return true end
  end
  return false
end

-- Does the new key work from here? GET /api/v1/self with it: any token may read that,
-- whatever its role (rotate_token.lua reads the token itself, which needs an admin).
local function proves(c, new)
  local probe, err = mistapi.new { base_url = c.settings.base_url, token = new.key,
                                   timeout = 10, connect_timeout = 3, max_retries = 1 }
  if not probe then return nil, err end
  local res
  res, err = probe:get_self()
  probe:close()
  return res, err
end

function app.rotate_token(id)
  if ngx.req.get_method() ~= "POST" then return reply(405, { error = "method not allowed" }) end
  if refuse_unauthorised() then return end
  local tokens, org_id, c = setup()
  if not tokens then return reply(500, { error = "configuration", message = tostring(c) }) end
  local old, err = tokens:get_org_api_token(org_id, id)
  if not old then return fail(err) end
  if is_own(c, old.data) then
    return reply(409, { error = "conflict", message = "this server runs with token " .. id
      .. "; rotating it here would lock the server out: rotate it with examples/rotate_token.lua,"
      .. " then restart nginx with the new key" })
  end
  local new
  new, err = tokens:create_org_api_token(org_id, {
    name = old.data.name, privileges = old.data.privileges, src_ips = old.data.src_ips,
  })
  if not new then return fail(err) end
  local proof, perr = proves(c, new.data)
  if not proof then
    local _, derr = tokens:delete_org_api_token(org_id, new.data.id)
    local doc = { error = "rotation", replaced = id, old_deleted = false,
                  message = "the new key does not work (" .. tostring(perr) .. "); the old token is untouched" }
    if derr then
      -- the replacement still exists: its one-time key must not be lost
      doc.token = token_view(new.data, new.data.key)
      doc.message = doc.message .. "; the replacement could not be deleted: " .. tostring(derr)
    end
    return reply(502, doc)
  end
  local doc = { token = token_view(new.data, new.data.key), replaced = id, old_deleted = true }
  local _, derr = tokens:delete_org_api_token(org_id, id)
  if derr then
    -- the new key exists now and must reach the caller; the old one stays
    doc.old_deleted = false
    doc.warning = tostring(derr)
  end
  return reply(200, doc)
end

return app
