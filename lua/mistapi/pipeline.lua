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

--- A pipeline over a transport, with the client's settings and the budget
-- of its tokens (mistapi.budget.open).
function pipeline.new(settings, transport, budget)
  return setmetatable({
    s = settings,
    transport = transport,
    budget = budget,     -- hold(index, seconds)
    -- one call taken from token index's budget: 0, or seconds until room
    take = budget:taker(settings.budget_limit, settings.budget_window),
    spent = {},          -- token index -> until when (transport.now()) a 429 used it up
    any_spent = false,   -- whether spent may hold one (else token 1 is the pick, without a look)
    auth = false,        -- a login session (mistapi.auth), when there is one
    -- (false, not nil: a field read that misses costs Lua 5.4 a metatable look)
    sends = transport.send ~= nil,  -- the transport answers as values (see first_attempt)
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

--- The token an attempt uses: the first not used up (a 429 marks a token
-- used up until its Retry-After, for every call of the client), else the
-- one free again soonest. Read per attempt, never kept in shared state, so
-- calls that run at once (coroutines inside nginx) each pick for themselves.
function Pipeline:pick_token()
  local spent = self.spent
  if next(spent) == nil then
    self.any_spent = false
    return 1
  end
  local now = self.transport.now()
  local soonest, soonest_until
  for i = 1, #self.s.tokens do
    local till = spent[i]
    if not till or till <= now then
      spent[i] = nil
      return i
    end
    if not soonest_until or till < soonest_until then soonest, soonest_until = i, till end
  end
  return soonest
end

--- Marks token `i` used up for `seconds` (the longer of two marks wins).
function Pipeline:spend(i, seconds)
  local till = self.transport.now() + seconds
  local spent = self.spent
  self.any_spent = true   -- (pick_token clears it when none is left)
  if not spent[i] or spent[i] < till then spent[i] = till end
end

-- Whether a token other than those used up is there now.
function Pipeline:token_left()
  local spent = self.spent
  local now = self.transport.now()
  for i = 1, #self.s.tokens do
    if not spent[i] or spent[i] <= now then return true end
  end
  return false
end

--- Takes one call from the budget of token `index`, else of another token
-- not used up by a 429 that has room. Returns the token taken for, or nil
-- and the seconds until the first of them has room.
function Pipeline:take_for(index)
  local take = self.take
  local wait = take(index)
  if wait == 0 then return index end
  local spent, now = self.spent, self.transport.now()
  for j = 1, #self.s.tokens do
    if j ~= index and not (spent[j] and spent[j] > now) then
      local w = take(j)
      if w == 0 then return j end
      if w < wait then wait = w end
    end
  end
  return nil, wait
end

--- The headers of an attempt with token `index`.
function Pipeline:token_headers(index, has_body)
  local cache = self.header_cache
  local key = has_body and -index or index
  local h = cache[key]
  if not h then
    -- the same few tables serve every call: nothing reads or changes them after
    h = { Accept = "application/json", Authorization = "Token " .. self.s.tokens[index] }
    if has_body then h["Content-Type"] = "application/json" end
    cache[key] = h
  end
  return h
end

--- The headers of one attempt, and what they were made from: the token's
-- index (nil for a session) and the session's generation (nil for tokens).
function Pipeline:attempt_headers(method, has_body)
  if #self.s.tokens > 0 then
    local index = self.any_spent and self:pick_token() or 1
    return self:token_headers(index, has_body), index, nil
  end
  local h = { Accept = "application/json" }
  if has_body then h["Content-Type"] = "application/json" end
  local generation
  if self.auth then generation = self.auth:add_headers(h, method) end
  return h, nil, generation
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
-- out, the client's secrets and URL credentials (a Location's) hidden in the rest.
local function error_headers(headers, secrets)
  local out = {}
  for name, value in pairs(headers or {}) do
    if SESSION_HEADERS[name] then
      out[name] = "[redacted]"
    elseif type(value) == "string" then
      out[name] = errors.redact_target(value, secrets)
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

function Pipeline:http_error(req, resp, attempts, token_index)
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
    method = req.method, url = errors.redact_target(req.url, secrets), path = errors.redact_target(req.path, secrets),
    attempts = attempts, token_index = token_index,
  }
  message = message .. body_fields(fields, resp.body, secrets)
  return errors.new("http", message, fields)
end

-- A call the budget had no room for within budget_wait (or the deadline):
-- `retry_after` says in how many seconds there is room.
function Pipeline:budget_error(req, wait, attempts)
  local s = self.s
  local secrets = self:secrets()
  return errors.new("budget",
    ("no room in the budget (%d calls in %g s a token) for another %.3f s; budget_wait is %g s")
      :format(s.budget_limit, s.budget_window, wait, s.budget_wait), {
    retry_after = wait, method = req.method, url = errors.redact_target(req.url, secrets),
    path = errors.redact_target(req.path, secrets), attempts = attempts,
  })
end

function Pipeline:transport_error(req, info, attempts, token_index)
  local kind = info.kind == "timeout" and "timeout" or "transport"
  local secrets = self:secrets()
  local fields = {
    method = req.method, url = errors.redact_target(req.url, secrets), path = errors.redact_target(req.path, secrets),
    attempts = attempts, token_index = token_index, code = info.code, reached = info.reached,
  }
  local message = (errors.redact(info.message, secrets) or kind) .. body_fields(fields, info.body, secrets)
  return errors.new(kind, message, fields)
end

function Pipeline:log(req, status, info, started, attempt, token_index)
  local hook = self.s.log
  if not hook then return end
  hook {
    -- the path may come from a server's `next` link: the client's secrets
    -- hidden, one line, no control characters
    method = req.method, path = errors.scrub(req.path, self:secrets(), 4096), status = status,
    error = info and (info.kind == "timeout" and "timeout" or "transport") or nil,
    duration = self.transport.now() - started, attempt = attempt,
    token_index = token_index,
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

--- What to do after an attempt, by the rules every kind of call shares:
-- "done" (a 2xx), "again" (at once: a 429 while another token has room, or
-- a 401 that ended a login session), seconds to wait before trying again,
-- or nil to give up. A 429 marks the token that met it used up until its
-- Retry-After (retry_cap seconds when it names none) for every call of the
-- client; a 401 forgets the session the attempt used (not a newer one).
function Pipeline:decide(policy, item, resp, info, deadline)
  local status = resp and resp.status
  local a = self.auth
  if status and status >= 200 and status < 300 then
    if a then a:observe(resp, item.generation) end
    return "done"
  end
  if status == 401 and a and not item.req.skip_login and not item.relogged then
    -- The session ended on the server (expired, logged out elsewhere); a
    -- 401 did nothing, so logging in again and sending once more is safe.
    item.relogged = true
    a:expire(item.generation)
    return "again"
  end
  local s = self.s
  if status == 429 and item.token then
    -- used up for this client, and held in the budget: every client that
    -- shares it waits for the Retry-After too
    local seconds = retry.parse_retry_after(resp.headers["retry-after"]) or s.retry_cap
    self:spend(item.token, seconds)
    self.budget:hold(item.token, seconds)
    local tokens = #s.tokens
    local rotations = item.rotations or 0
    if tokens > 1 and rotations < tokens - 1 and self:token_left() then
      item.rotations = rotations + 1
      return "again"
    end
  end
  local retries = item.retries or 0
  if retries < s.max_retries and retry.may_retry(policy, status, info) then
    local wait = self:wait_for(retries, resp, deadline)
    if wait then item.retries = retries + 1 end
    return wait
  end
  return nil
end

-- The login stage: a session client logs in (once, whoever asks first; the
-- others wait for that login) before any call that is not a login itself.
local function logged_in(self, items, pending)
  local a = self.auth
  for k = 1, #pending do
    if not items[pending[k]].req.skip_login then return a:ensure() end
  end
  return true
end

-- The first round of a single call: one item, pending alone. Only read.
local ONE = { 1 }

-- An attempt of item begins: its headers (returned), and the token and
-- login session they were made from; one call is taken from the token's
-- budget. When no token has room: nil and the seconds until one has.
local function begin_attempt(self, item)
  local r = item.req
  local headers, token, generation = self:attempt_headers(r.method, r.body ~= nil)
  if token then
    local taken, wait = self:take_for(token)
    if not taken then return nil, wait end
    if taken ~= token then
      token = taken
      headers = self:token_headers(taken, r.body ~= nil)
    end
  end
  item.token, item.generation = token, generation
  item.attempts = item.attempts + 1
  return headers
end

-- The shortest wait for room: a budget that keeps answering a sliver (a
-- clock behind, a backend that is wrong) costs rounds, not a busy loop.
local MIN_BUDGET_PAUSE = 0.01

-- Item i could not begin for want of room in the budget: the seconds to
-- wait for it, or nil when the call has waited budget_wait in all (or would
-- pass its deadline): the item then ends with a "budget" error.
local function budget_wait(self, items, i, wait, deadline, on_done)
  local item = items[i]
  local pause = wait > MIN_BUDGET_PAUSE and wait or MIN_BUDGET_PAUSE
  local waited = (item.budget_waited or 0) + pause
  if waited <= self.s.budget_wait and not (deadline and self.transport.now() + pause > deadline) then
    item.budget_waited = waited
    return pause
  end
  item.err = self:budget_error(item.req, wait, item.attempts)
  if on_done then on_done(i, item) end
  return nil
end

-- What the attempt of item i came to, by `Pipeline:decide`: the item keeps
-- its answer or its error when it ends (and on_done hears of it). Returns
-- decide's step.
local function settle(self, items, i, resp, info, started, policy, deadline, on_done)
  local item = items[i]
  local req = item.req
  if self.s.log then self:log(req, resp and resp.status, info, started, item.attempts, item.token) end
  local step = self:decide(policy, item, resp, info, deadline)
  if step == "done" then
    item.resp = resp
  elseif not step then
    if resp then
      item.err = self:http_error(req, resp, item.attempts, item.token)
    else
      item.err = self:transport_error(req, info, item.attempts, item.token)
    end
  end
  if (step == "done" or not step) and on_done then on_done(i, item) end
  return step
end

-- One round over the pending items: logs in if needed, sends each (one
-- through the transport's `request`, more through its `batch`) and settles
-- it. Returns the items to try again (nil: none) and the longest wait asked
-- for. A single item's round runs no loop (LuaJIT then compiles a whole
-- call into one trace). `whole`: see Pipeline:exchange.
local function round(self, items, pending, policy, concurrency, on_done, deadline, whole)
  local t = self.transport
  if self.auth then
    local ok, lerr = logged_in(self, items, pending)
    if not ok then
      for k = 1, #pending do
        local i = pending[k]
        items[i].err = lerr
        if on_done then on_done(i, items[i]) end
      end
      return nil, 0
    end
  end
  local started = self.s.log and t.now()
  if #pending == 1 then
    local i = pending[1]
    local item = items[i]
    local req = item.req
    local headers, room = begin_attempt(self, item)
    if not headers then
      local wait = budget_wait(self, items, i, room, deadline, on_done)
      if not wait then return nil, 0 end
      return pending, wait
    end
    req.headers = headers
    local resp, info = t:request(req, not req.max_items and whole or nil)
    req.headers = nil
    local step = settle(self, items, i, resp, info, started, policy, deadline, on_done)
    if step == "done" or not step then return nil, 0 end
    return pending, step ~= "again" and step or 0
  end
  -- Each item takes from its token's budget just before the transport
  -- starts it (`ready`), not when the round begins, and is settled as it
  -- ends (`done`): a call is counted about when it reaches the server (what
  -- a budget shared with other clients must match), and a 429 holds the
  -- budget before the round's next item starts. An item with no room stays
  -- unsent this round.
  local batch, settled = {}, {}
  for k = 1, #pending do
    local req = items[pending[k]].req
    batch[k] = { method = req.method, url = req.url, body = req.body }
  end
  local again, wait = nil, 0
  local function record(k, step)
    settled[k] = true
    if step and step ~= "done" then
      again = again or {}
      again[#again + 1] = pending[k]
      if step ~= "again" and step > wait then wait = step end
    end
  end
  local function ready(k)
    local headers, room = begin_attempt(self, items[pending[k]])
    if headers then return headers end
    record(k, budget_wait(self, items, pending[k], room, deadline, on_done))
    return false
  end
  local function done(k, answer)
    record(k, settle(self, items, pending[k], answer.status and answer or nil, answer.err, started, policy,
      deadline, on_done))
  end
  local answers = t:batch(batch, concurrency, ready, done)
  for k = 1, #pending do
    if not settled[k] then
      -- answered without being sent (a target the transport refuses)
      local item = items[pending[k]]
      item.attempts = item.attempts + 1
      done(k, answers[k])
    end
  end
  return again, wait
end

-- Rounds until no item is pending, waiting between them as asked.
local function rounds(self, items, pending, policy, concurrency, on_done, deadline, whole)
  local again, wait = round(self, items, pending, policy, concurrency, on_done, deadline, whole)
  if not again then return items end
  if wait > 0 then self.transport.sleep(wait) end
  return rounds(self, items, again, policy, concurrency, on_done, deadline, whole)
end

--- Sends requests under a policy, some at a time: the one send loop of
-- single, paged and bulk calls. Items go in rounds: each round logs in if
-- needed, sends every item still pending (one through the transport's
-- `request`, more through its `batch`), and decides for each by
-- `Pipeline:decide`; the round then waits the longest wait asked for.
-- (A single call is most of what a script makes: its round allocates no
-- table it does not keep, and nothing grows a table after it is made.)
-- @param reqs {method, path, body, skip_login} each; the URL is made here
-- @param policy {idempotent = bool, response = shape}
-- @param concurrency how many at once (a bulk call's option)
-- @param on_done optional function(i, item), called as each item ends
-- @return the items: each `{req, resp | err, attempts, token}`, where
--   `token` is the index of the token the last attempt used
function Pipeline:exchange(reqs, policy, concurrency, on_done)
  local s = self.s
  local base = s.base_url
  local n = #reqs
  -- One object of a model, under the default limits: the transport may hand
  -- it over decoded (`resp.decoded`), without a body string to decode again.
  local shape = shapes[policy.response]
  local whole = shape and shape.whole and not s.max_decoded and shape.core or nil
  local deadline = s.deadline and self.transport.now() + s.deadline
  -- Each item is sized for what a call that succeeds sets (retries,
  -- rotations and the rest come when needed): the GC's work grows with
  -- every byte made.
  local items, pending
  if n == 1 then
    local req = reqs[1]
    req.url = base .. req.path
    items, pending = { { req = req, attempts = 0, token = nil, resp = nil } }, ONE
  else
    items, pending = {}, {}
    for i = 1, n do
      local req = reqs[i]
      req.url = base .. req.path
      items[i] = { req = req, attempts = 0, token = nil, resp = nil }
      pending[i] = i
    end
  end
  if n == 0 then return items end
  return rounds(self, items, pending, policy, concurrency, on_done, deadline, whole)
end

-- The body of a 2xx answer that could not be read. A create's is kept whole
-- (it may hold the new token's one-time key); any other is capped as an
-- error answer's is. Either way the client's secrets (its tokens, the keys
-- it was given before, a session's password and cookies) are hidden.
local function decode_failure(req, resp, attempts, message, secrets)
  local fields = {
    status = resp.status, headers = error_headers(resp.headers, secrets or {}),
    method = req.method, url = errors.redact_target(req.url, secrets),
    path = errors.redact_target(req.path, secrets), attempts = attempts,
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
  -- one object of the model, decoded by the transport as it arrived: the
  -- same table core.decode makes of the text, which it did not keep
  local data = resp.decoded
  if data ~= nil then return data end
  local body = resp.body
  if s and s.or_empty and not body:find("%S") then return nil end
  local core_shape = s and s.core
  if s and s.listed and body:find("^%s*%[") then core_shape = s.list_core end
  -- With a model shape the core also checks each field's type against the
  -- model and makes epochs integers; such a refusal is a "model" one.
  local max_decoded = limits and limits.max_decoded
  local err, why
  data, err, why = core.decode(body, core_shape, (req.max_items or max_decoded) and {
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

-- Whether a single call's first attempt may go without the rounds'
-- bookkeeping: a token client with no log hook, on a transport that
-- answers as values (`send`); only the answer can end such an attempt.
local function plain(self)
  local s = self.s
  return self.sends and not s.log and not self.auth and #s.tokens > 0
end

-- The first attempt of a single call (see `plain`), to `url`: no item and
-- no answer table are made unless its answer needs them. Returns data,
-- status, raw headers and the token's index when it ends the call (a 2xx the
-- transport decoded); else nil and the call's item, this attempt settled as
-- a round settles it and the rounds run for the rest. `req` is the call's
-- request when there is one already (else made here, when needed).
local function first_attempt(self, method, url, body, req, policy)
  local s, t = self.s, self.transport
  local shape = shapes[policy.response]
  local whole = shape and shape.whole and not s.max_decoded and not (req and req.max_items) and shape.core or nil
  local deadline = s.deadline and t.now() + s.deadline
  local index = self.any_spent and self:pick_token() or 1
  if self.take(index) ~= 0 then
    -- no room in this token's budget now: the rounds choose (another
    -- token, a wait, or a budget error)
    req = req or { method = method, path = url:sub(#s.base_url + 1), body = body }
    req.url = url
    local item = { req = req, attempts = 0, token = nil, resp = nil }
    rounds(self, { item }, ONE, policy, 1, nil, deadline, whole)
    return nil, item
  end
  local headers = self.header_cache[body and -index or index] or self:token_headers(index, body ~= nil)
  local status, raw, text, decoded = t:send(method, url, headers, body, whole)
  -- (decoded comes with a 2xx only)
  if decoded ~= nil then return decoded, status, raw, index end
  req = req or { method = method, path = url:sub(#s.base_url + 1), body = body }
  req.url = url
  local item = { req = req, attempts = 1, token = index, resp = nil }
  local items, resp, info = { item }, nil, nil
  if status then resp = t.answer(status, raw, text) else info = raw end
  local step = settle(self, items, 1, resp, info, nil, policy, deadline, nil)
  if step and step ~= "done" then
    if step ~= "again" and step > 0 then t.sleep(step) end
    rounds(self, items, ONE, policy, 1, nil, deadline, whole)
  end
  return nil, item
end

-- The end of a single call: its result (the data a first attempt decoded, or
-- the item's answer decoded here), or nil, err; a create's new key is kept
-- to be hidden later.
local function finish(self, policy, data, item, status, raw, token)
  local r
  if item then
    if item.err then return nil, item.err end
    local resp, attempts = item.resp, item.attempts
    local limits = self.limits
    if not limits then
      limits = { max_decoded = self.s.max_decoded, pipeline = self }
      self.limits = limits
    end
    local derr
    data, derr = pipeline.decode(policy.response, item.req, resp, attempts, limits)
    if derr then return nil, derr end
    r = result.new(data, resp, attempts, item.token)
  else
    r = result.unread(data, status, raw, 1, token)
  end
  if policy.method == "POST" and type(data) == "table" then
    if type(data.key) == "string" then
      self:remember_key(data.key)
    elseif policy.response and shapes[policy.response] and shapes[policy.response].listed then
      for _, made in ipairs(data) do   -- several new tokens in one answer
        if type(made) == "table" and type(made.key) == "string" then self:remember_key(made.key) end
      end
    end
  end
  return r
end

--- Sends and decodes: the whole of one call.
-- @param req {method, path, body, skip_login, max_items}; the URL is made here
-- @param policy {idempotent = bool, response = shape}
-- @return a result ({data, status, headers, attempts, token_index}) or nil, err
function Pipeline:call(req, policy)
  if plain(self) then
    local data, item, raw, token = first_attempt(self, req.method, self.s.base_url .. req.path, req.body, req, policy)
    if data ~= nil then return finish(self, policy, data, nil, item, raw, token) end
    return finish(self, policy, nil, item)
  end
  return finish(self, policy, nil, self:exchange({ req }, policy, 1)[1])
end

--- `call` for a request of no more than a method, a URL on the client's
-- base URL (base_url .. path, made by the caller in one piece) and a body:
-- an operation of a resource. No request table is made unless the first
-- attempt's answer needs one.
function Pipeline:call_url(method, url, body, policy)
  local s = self.s
  if self.sends and not s.log and not self.auth and #s.tokens > 0 then   -- plain(self)
    local data, item, raw, token = first_attempt(self, method, url, body, nil, policy)
    if data == nil then return finish(self, policy, nil, item) end
    -- (a create's answer goes through finish, for its key)
    if method ~= "POST" then return result.unread(data, item, raw, 1, token) end
    return finish(self, policy, data, nil, item, raw, token)
  end
  return self:call({ method = method, path = url:sub(#s.base_url + 1), body = body }, policy)
end

return pipeline
