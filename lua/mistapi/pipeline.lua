--- One call from start to end: send through the transport, try again when
-- that is safe, turn the answer into a result or an error. Every operation,
-- the pager and the bulk calls go through here.
-- @module mistapi.pipeline

local core = require "mistapi.lazy_core"
local errors = require "mistapi.errors"
local shapes = require "mistapi.models".shapes
local retry = require "mistapi.retry"
local result = require "mistapi.result"

local Pipeline = {}
Pipeline.__index = Pipeline

local pipeline = {}

--- A pipeline over a transport, with the client's settings.
function pipeline.new(settings, transport)
  return setmetatable({
    s = settings,
    transport = transport,
    token_index = 1,     -- the token in use; moves on after a 429
    auth = nil,          -- a login session (mistapi.auth), when there is one
    created_keys = {},   -- the last keys this client was given, hidden like tokens
    header_cache = {},   -- request headers by token index (negative: with a body)
  }, Pipeline)
end

--- The secrets that must never show: every API token, and the session's.
function Pipeline:secrets()
  local list = {}
  for i, t in ipairs(self.s.tokens) do list[i] = t end
  for _, k in ipairs(self.created_keys) do list[#list + 1] = k end
  if self.auth then
    for _, v in ipairs(self.auth:secrets()) do list[#list + 1] = v end
  end
  return list
end

-- A server may echo a key it gave this client in a later error: keep the
-- last few to hide them as tokens are hidden.
local KEPT_KEYS = 64
function Pipeline:remember_key(key)
  local keys = self.created_keys
  if #keys >= KEPT_KEYS then table.remove(keys, 1) end
  keys[#keys + 1] = key
end

function Pipeline:headers(method, has_body)
  local tokens = self.s.tokens
  local cache = self.header_cache
  local key = has_body and -self.token_index or self.token_index
  if #tokens > 0 and cache[key] then return cache[key] end
  local h = { Accept = "application/json" }
  if has_body then h["Content-Type"] = "application/json" end
  if #tokens > 0 then
    -- the same few tables serve every call: nothing reads or changes them after
    h.Authorization = "Token " .. tokens[self.token_index]
    cache[key] = h
  elseif self.auth then
    self.auth:add_headers(h, method)
  end
  return h
end

-- The detail of an error answer: {"detail": ...} or a 404's {"id": ...}.
local function server_detail(body)
  if type(body) ~= "string" or body == "" then return nil end
  local doc = core.decode(body)
  if type(doc) ~= "table" then return nil end
  if type(doc.detail) == "string" then return doc.detail end
  if type(doc.id) == "string" or type(doc.id) == "number" then return tostring(doc.id) end
  return nil
end

-- Answer headers that carry the session itself: never kept on an error.
local SESSION_HEADERS = { ["set-cookie"] = true, ["set-cookie2"] = true, authorization = true, cookie = true }

-- An answer's headers as an error keeps them: the session's cookies left
-- out, the client's secrets hidden in the rest.
local function error_headers(headers, secrets)
  local out = {}
  for name, value in pairs(headers or {}) do
    if SESSION_HEADERS[name] then
      out[name] = "[redacted]"
    elseif type(value) == "string" then
      out[name] = errors.redact(value, secrets)
    end
  end
  return out
end
pipeline.error_headers = error_headers

-- The fields of an error about an answer's body: the body (secrets hidden,
-- capped) and, when it was cut, its full size; the note for the message.
local function body_fields(fields, body, secrets)
  local kept, size = errors.error_body(body, secrets)
  fields.body, fields.body_size = kept, size
  if size then
    return ("; the error keeps the first %d of the body's %d bytes"):format(#kept, size)
  end
  return ""
end

function Pipeline:http_error(req, resp, attempts)
  local secrets = self:secrets()
  local status = resp.status
  local detail = errors.scrub(server_detail(resp.body), secrets, 4096)
  local message = detail
  if status >= 300 and status < 400 then
    message = ("redirect%s not followed"):format(
      resp.headers.location and (" to " .. errors.scrub(resp.headers.location, secrets)) or "")
  end
  message = message or errors.reason(status) or ("HTTP " .. status)
  local fields = {
    status = status, detail = detail, headers = error_headers(resp.headers, secrets),
    retry_after = retry.parse_retry_after(resp.headers["retry-after"]),
    method = req.method, url = req.url, path = req.path,
    attempts = attempts, token_index = self.token_index,
  }
  message = message .. body_fields(fields, resp.body, secrets)
  return errors.new("http", message, fields)
end

function Pipeline:transport_error(req, info, attempts)
  local kind = info.kind == "timeout" and "timeout" or "transport"
  local secrets = self:secrets()
  local fields = {
    method = req.method, url = req.url, path = req.path, attempts = attempts,
    token_index = self.token_index, code = info.code, reached = info.reached,
  }
  local message = (errors.redact(info.message, secrets) or kind) .. body_fields(fields, info.body, secrets)
  return errors.new(kind, message, fields)
end

function Pipeline:log(req, status, info, started, attempt)
  local hook = self.s.log
  if not hook then return end
  hook {
    -- the path may come from a server's `next` link: one line, no control characters
    method = req.method, path = errors.scrub(req.path, nil, 4096), status = status,
    error = info and (info.kind == "timeout" and "timeout" or "transport") or nil,
    duration = self.transport.now() - started, attempt = attempt,
    token_index = #self.s.tokens > 0 and self.token_index or nil,
  }
end

-- How long to wait before the next try, or nil when the wait is not worth it
-- (past the deadline, or a Retry-After longer than retry_cap).
function Pipeline:wait_for(retries, resp, deadline)
  local s = self.s
  local wait
  local hinted = resp and retry.parse_retry_after(resp.headers["retry-after"])
  if hinted then
    if hinted > s.retry_cap then return nil end
    wait = hinted
  else
    wait = retry.backoff(retries, s.retry_base, s.retry_cap)
  end
  if deadline and self.transport.now() + wait > deadline then return nil end
  return wait
end

--- What to do after an attempt that failed, by the retry rules shared by
-- single and bulk calls: "rotate" (a 429 while another token is left: its
-- own hourly budget is there at once), seconds to wait before trying again,
-- or nil to give up.
function Pipeline:after_failure(policy, resp, info, retries, rotations, deadline)
  local status = resp and resp.status
  local tokens = #self.s.tokens
  if status == 429 and tokens > 1 and rotations < tokens - 1 then return "rotate" end
  if retries < self.s.max_retries and retry.may_retry(policy, status, info) then
    return self:wait_for(retries, resp, deadline) or nil
  end
  return nil
end

--- Moves on to the next configured token.
function Pipeline:rotate()
  self.token_index = self.token_index % #self.s.tokens + 1
end

--- Sends `req` ({method, path, url, body}) with retries.
-- @param req {method, path, url, body}
-- @param policy {idempotent = bool}
-- @return the transport's response and the attempt count, or nil and an error
function Pipeline:send(req, policy)
  local s = self.s
  local now = self.transport.now
  local deadline = s.deadline and now() + s.deadline
  local attempts, retries, rotations = 0, 0, 0
  while true do
    attempts = attempts + 1
    req.headers = self:headers(req.method, req.body ~= nil)
    local started = s.log and now()
    local resp, info = self.transport:request(req)
    if started then self:log(req, resp and resp.status, info, started, attempts) end
    req.headers = nil
    local status = resp and resp.status
    if status and status >= 200 and status < 300 then
      if self.auth then self.auth:observe(resp) end
      return resp, attempts
    end
    local next_step = self:after_failure(policy, resp, info, retries, rotations, deadline)
    if next_step == "rotate" then
      rotations = rotations + 1
      self:rotate()
    elseif not next_step then
      if resp then return nil, self:http_error(req, resp, attempts) end
      return nil, self:transport_error(req, info, attempts)
    else
      retries = retries + 1
      if next_step > 0 then self.transport.sleep(next_step) end
    end
  end
end

-- The body of a 2xx answer that could not be read. A create's is kept whole
-- (it may hold the new token's one-time key); any other is capped as an
-- error answer's is. Either way the client's secrets (its tokens, the keys
-- it was given before, a session's password and cookies) are hidden.
local function decode_failure(req, resp, attempts, message, secrets)
  local fields = {
    status = resp.status, headers = error_headers(resp.headers, secrets or {}),
    method = req.method, url = req.url, path = req.path, attempts = attempts,
  }
  if req.method == "POST" then
    -- whole, with the client's own secrets hidden (the new key is none of them)
    fields.body = errors.redact(resp.body, secrets or {})
  else
    message = message .. body_fields(fields, resp.body, secrets or {})
  end
  return errors.new("decode", message, fields)
end

-- nil and the decode error; the secrets are gathered only now, on failure.
local function failed(req, resp, attempts, limits, message)
  local p = limits and limits.pipeline
  return nil, decode_failure(req, resp, attempts, message, p and p:secrets())
end

local function is_array(t)
  return next(t) == nil or t[1] ~= nil
end

--- Turns a 2xx answer into data by the operation's response shape (a name
-- of mistapi.models.shapes; nil: a JSON object, unchecked). `req.max_items`
-- (the page size asked for) bounds a list's items; `limits` (optional:
-- `max_decoded`, and `pipeline`, whose secrets an error's body hides) bound
-- and guard the rest.
function pipeline.decode(shape, req, resp, attempts, limits)
  local s = shape and shapes[shape]
  if s and s.empty then return nil end
  local body = resp.body
  if s and s.or_empty and not body:find("%S") then return nil end
  local core_shape = s and s.core
  if s and s.listed and body:find("^%s*%[") then core_shape = s.list_core end
  -- With a model shape the core also checks each field's type against the
  -- model and makes epochs integers; such a refusal is a "model" one.
  local max_decoded = limits and limits.max_decoded
  local data, err, why = core.decode(body, core_shape, (req.max_items or max_decoded) and {
    max_items = req.max_items, max_decoded = max_decoded } or nil)
  if data == nil then
    return failed(req, resp, attempts, limits, why == "model" and err
      or why == "limit" and ("the answer is too big to take: " .. tostring(err))
      or ("the answer is not JSON: " .. tostring(err)))
  end
  if s and s.any then
    if data == core.null then return nil end
    return data
  end
  if type(data) ~= "table" then
    return failed(req, resp, attempts, limits,
      "expected a JSON " .. (s and s.list and "array" or "object") .. ", got " .. type(data))
  end
  if s and s.listed and core_shape == s.list_core then
    -- One object as a list of it, as the spec declares for createApiToken:
    -- the object. A longer list is handed over whole (a key in it is never lost).
    if #data == 0 then return failed(req, resp, attempts, limits, "expected a " .. s.noun .. ", got an empty array") end
    if #data == 1 then return data[1] end
    return data
  elseif s and s.list then
    -- A list paged by a body `next` link: {"results": [...], "next": ...}.
    -- (the core checked every item of either against the model)
    if not is_array(data) and not (type(data.results) == "table" and is_array(data.results)) then
      return failed(req, resp, attempts, limits, "expected a JSON array of " .. s.noun .. ", got an object")
    end
    local list = is_array(data) and data or data.results
    if req.max_items and #list > req.max_items then
      -- (the core counted a token list already; this is any other list)
      return failed(req, resp, attempts, limits,
        ("the page holds %d items, more than the %d asked for"):format(#list, req.max_items))
    end
  elseif data[1] ~= nil then
    return failed(req, resp, attempts, limits, "expected a JSON object, got an array")
  end
  return data
end

--- Sends and decodes: the whole of one call.
-- @param req {method, path, body, skip_login}; the URL is made here
-- @param policy {idempotent = bool, response = shape}
-- @return a result ({data, status, headers, attempts, token_index}) or nil, err
function Pipeline:call(req, policy)
  if self.auth and not req.skip_login then
    -- A session client logs in lazily, before its first call.
    local ok, err = self.auth:ensure()
    if not ok then return nil, err end
  end
  req.url = self.s.base_url .. req.path
  local resp, err = self:send(req, policy)
  if not resp and err.status == 401 and self.auth and not req.skip_login and self.auth:expire() then
    -- The session ended on the server (expired, logged out elsewhere); a 401
    -- did nothing, so logging in again and sending once more is safe.
    local ok, lerr = self.auth:ensure()
    if not ok then return nil, lerr end
    resp, err = self:send(req, policy)
  end
  if not resp then return nil, err end
  local attempts = err
  local limits = self.limits
  if not limits then
    limits = { max_decoded = self.s.max_decoded, pipeline = self }
    self.limits = limits
  end
  local data, derr = pipeline.decode(policy.response, req, resp, attempts, limits)
  if derr then return nil, derr end
  if policy.method == "POST" and type(data) == "table" then
    if type(data.key) == "string" then
      self:remember_key(data.key)
    elseif policy.response and shapes[policy.response] and shapes[policy.response].listed then
      for _, item in ipairs(data) do   -- several new tokens in one answer
        if type(item) == "table" and type(item.key) == "string" then self:remember_key(item.key) end
      end
    end
  end
  return result.new(data, resp, attempts, #self.s.tokens > 0 and self.token_index or nil)
end

return pipeline
