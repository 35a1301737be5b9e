--- Handlers of the example nginx server (nginx.conf beside this file):
--   GET  /tokens            the org's API tokens as JSON, keys masked
--   POST /tokens/ID/rotate  a new token like ID (name, privileges, src_ips),
--                           then ID deleted; the new key is shown this once
-- Settings come from the environment (nginx's `env` directive): MIST_APITOKEN,
-- MIST_ORG_ID, and MIST_BASE_URL or MIST_HOST.
local mistapi = require "mistapi"
local core = require "mistapi.core"

local app = {}

-- One client a worker: it holds settings only; nginx pools the connections.
local client, client_err

local function get_client()
  if client then return client end
  if client_err then return nil, client_err end
  local base_url = os.getenv("MIST_BASE_URL")
  client, client_err = mistapi.new {
    base_url = base_url ~= "" and base_url or nil,
    timeout = 10,
    connect_timeout = 3,
    max_retries = 1,
  }
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

-- "1qkb...QQCL": never more of a key than the API itself shows in a list.
local function mask(key)
  if type(key) ~= "string" then return nil end
  if key:find("...", 1, true) or #key < 12 then return key:find("...", 1, true) and key or "****" end
  return key:sub(1, 4) .. "..." .. key:sub(-4)
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
  local org_id = os.getenv("MIST_ORG_ID")
  if not org_id or org_id == "" then
    return nil, nil, mistapi.errors.validation("MIST_ORG_ID is not set (and named by an env directive)")
  end
  return c:orgs_api_tokens(), org_id
end

function app.list_tokens()
  if ngx.req.get_method() ~= "GET" then return reply(405, { error = "method not allowed" }) end
  local tokens, org_id, err = setup()
  if not tokens then return reply(500, { error = "configuration", message = tostring(err) }) end
  local res
  res, err = tokens:list_all_org_api_tokens(org_id)
  if not res then return fail(err) end
  local out = array()
  for i, t in ipairs(res.data) do out[i] = token_view(t) end
  return reply(200, out)
end

function app.rotate_token(id)
  if ngx.req.get_method() ~= "POST" then return reply(405, { error = "method not allowed" }) end
  local tokens, org_id, err = setup()
  if not tokens then return reply(500, { error = "configuration", message = tostring(err) }) end
  local old
  old, err = tokens:get_org_api_token(org_id, id)
  if not old then return fail(err) end
  local new
  new, err = tokens:create_org_api_token(org_id, {
    name = old.data.name, privileges = old.data.privileges, src_ips = old.data.src_ips,
  })
  if not new then return fail(err) end
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
