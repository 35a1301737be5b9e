--- Any Mist endpoint through the client's machinery: `client:request(method,
-- path, opts)` for one call, and `client:each(path, opts)` /
-- `client:get_all(path, opts)` for every item of a list, whichever way it
-- pages. Same auth (token or login session), retries, token rotation,
-- redaction, logging and errors as the token resources; the answers are
-- plain decoded tables, with no model checks (the caller knows the shape).
-- The counterparts of the Python SDK's `mistapi_get` (here: any method) and
-- `get_all` (here: from the path, not from a first answer).
-- @module mistapi.request

local core = require "mistapi.core"
local errors = require "mistapi.errors"
local pager = require "mistapi.pager"

local request = {}

-- Methods a request may use; whether a retry after the server may have
-- seen it is safe, unless opts.idempotent says otherwise.
local METHODS = { GET = true, PUT = true, DELETE = true, HEAD = true, OPTIONS = true, POST = false, PATCH = false }

-- Answer shapes of mistapi.models: any JSON value (or nothing); a list
-- (an array, or a page of one), unchecked.
local ANY, LIST = "json", "list"

-- Bytes kept as they are in a query value; the rest are %XX.
local function escape(s)
  return (s:gsub("[^%w%-%._~]", function(c) return ("%%%02X"):format(c:byte()) end))
end

-- `?a=1&b=x` from opts.query (names sorted, so a request is the same each
-- time), joined to a path that may have a query already. Raises on misuse.
local function with_query(path, query, level)
  if query == nil then return path end
  if type(query) ~= "table" then error("query must be a table", level) end
  local names = {}
  for k, v in pairs(query) do
    if type(k) ~= "string" then error("query: names must be strings", level) end
    local t = type(v)
    if t ~= "string" and t ~= "number" and t ~= "boolean" then
      error(("query.%s must be a string, number or boolean, got %s"):format(k, t), level)
    end
    names[#names + 1] = k
  end
  if #names == 0 then return path end
  table.sort(names)
  local parts = {}
  for i, k in ipairs(names) do
    local v = query[k]
    if math.type and math.type(v) == "float" and v == math.floor(v) then v = math.tointeger(v) or v end
    parts[i] = escape(k) .. "=" .. escape(tostring(v))
  end
  return path .. (path:find("?", 1, true) and "&" or "?") .. table.concat(parts, "&")
end

-- A path on the client's server: it starts with "/", and has no space,
-- control character or fragment (the URL is base_url .. path).
local function check_path(path, level)
  if type(path) ~= "string" then error("path must be a string, got " .. type(path), level) end
  if path:sub(1, 1) ~= "/" or path:sub(1, 2) == "//" then
    return nil, errors.validation(('path: "%s" is not a path from the root, as /api/v1/self')
      :format(errors.tidy(path):sub(1, 60)))
  end
  if path:find("[%c%s#]") then
    return nil, errors.validation("path: has a space, a control character or a #")
  end
  return path
end

--- One call to any endpoint of the client's server: `client:request(method, path, opts)`.
-- @param client the client (`mistapi.new`)
-- @param method "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD" or "OPTIONS"
-- @param path from the root, as "/api/v1/self"; may carry a query
-- @param[opt] opts `query` (a table of names to strings, numbers or
--   booleans), `body` (a table, written as JSON, or a string sent as it is,
--   with `Content-Type: application/json`), `idempotent` (whether a retry
--   after the server may have seen the call is safe; default true but for
--   POST and PATCH)
-- @return a result whose `data` is the decoded answer (any JSON value; nil
--   for an empty body), or nil and an error
-- @usage local me = assert(client:request("GET", "/api/v1/self")).data
function request.request(client, method, path, opts)
  if type(method) ~= "string" or METHODS[method] == nil then
    error("request: method must be one of GET, POST, PUT, DELETE, PATCH, HEAD, OPTIONS", 2)
  end
  if opts ~= nil and type(opts) ~= "table" then error("request: opts must be a table", 2) end
  opts = opts or {}
  local p, err = check_path(path, 3)
  if not p then return nil, err end
  p = with_query(p, opts.query, 3)
  local body = opts.body
  if type(body) == "table" then
    local msg
    body, msg = core.encode(body)
    if not body then return nil, errors.validation("body: " .. msg) end
  elseif body ~= nil and type(body) ~= "string" then
    error("request: opts.body must be a table or a string, got " .. type(body), 2)
  end
  local idempotent = opts.idempotent
  if idempotent == nil then
    idempotent = METHODS[method]
  elseif type(idempotent) ~= "boolean" then
    error("request: opts.idempotent must be a boolean", 2)
  end
  local policy = { method = method, idempotent = idempotent, response = ANY }
  return client.pipeline:call({ method = method, path = p, body = body }, policy)
end

-- The iterator over every item of the list at path, and its closer.
local function walk(client, path, opts, level)
  local p, err = check_path(path, level + 1)
  if not p then return nil, err end
  if opts ~= nil and type(opts) ~= "table" then error("opts must be a table", level) end
  opts = opts or {}
  p = with_query(p, opts.query, level + 1)
  local checked
  checked, err = pager.check_options(opts, level)
  if not checked then return nil, err end
  local pipeline = client.pipeline
  local policy = { method = "GET", idempotent = true, response = LIST }
  local function fetch(path_and_query, max_items)
    return pipeline:call({ method = "GET", path = path_and_query, max_items = max_items }, policy)
  end
  return pager.walk(fetch, p, checked, client.settings.base_url, function() return pipeline:secrets() end)
end

--- Every item of every page of the list at `path`, for a generic `for`
-- (raises on error, as `each_org_api_token` does; on Lua 5.4 the fourth
-- value closes the walk when a loop breaks early): `client:each(path, opts)`.
-- @param client the client
-- @param path the list's path, as "/api/v1/orgs/<org_id>/sites"
-- @param[opt] opts `limit` (1 to 1000, default 100), `page` (from 1),
--   `query` (other query parameters), `progress` (called after each page)
-- @usage for site in client:each("/api/v1/orgs/" .. org_id .. "/sites") do print(site.name) end
function request.each(client, path, opts)
  local next_item, stop = walk(client, path, opts, 3)
  if not next_item then error(stop, 2) end
  return pager.iterate(next_item, stop)
end

--- Every item of every page of the list at `path`, as one array: `client:get_all(path, opts)`.
-- @param client the client
-- @param path as for `each`
-- @param[opt] opts as for `each`
-- @return a result whose `data` is the array (and `pages`, `attempts`), or nil and an error
function request.get_all(client, path, opts)
  return pager.collect(walk(client, path, opts, 3))
end

--- One line of usage a function, for help() (the REPL's help(fn) finds them).
request.usage = {
  request = 'client:request(method, path [, { query = {...}, body = {...} | "json", idempotent = bool }])'
    .. "   -- any endpoint; res.data is the decoded answer",
  each = "for item in client:each(path [, { limit = 100, query = {...} }]) do ... end"
    .. "   -- every item of any list; raises on error",
  get_all = "client:get_all(path [, { limit = 100, query = {...}, progress = fn }])"
    .. "   -- every item of any list, in one result",
}

return request
