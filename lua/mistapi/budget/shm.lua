--- A call budget shared by every worker of one nginx: `budget = "shm:NAME"`
-- over `lua_shared_dict NAME`.
--
-- The rule is a sliding log: at most `limit` takes in any `window` seconds,
-- none while a hold lasts. Take number c of a key is a dict entry of its own,
-- claimed with `add` (which only one worker can win) and allowed only when
-- take c - limit is older than the window (or gone: entries expire after it).
-- So a take never reads and then writes a shared counter, never holds a lock
-- and never waits: atomic across workers without blocking any of them.
-- Holds (a 429's Retry-After) keep the latest end; they take a short mutex
-- (`add` with an expiry), which a worker waits for with `ngx.sleep` where it
-- may, for a bounded time.
--
-- Memory: about 256 bytes a take kept (measured), so a token at 5000 an hour
-- holds ~1.3 MB; a dict that must evict to make room answers errors (the
-- caller falls back to its own budget) rather than forget takes silently.
local M = {}

local ngx = rawget(_G, "ngx")

local PREFIX = "mistapi.budget:"
local MAX_SCAN = 1000    -- numbers tried in one take: other workers' claims in between
local LOCK_TTL = 0.05    -- seconds: a holder that died frees the mutex by then
local LOCK_TRIES = 100

-- Phases where ngx.sleep yields; elsewhere the mutex is only tried, never slept on.
local CAN_SLEEP = {
  rewrite = true, access = true, content = true, timer = true,
  ssl_cert = true, ssl_session_fetch = true, ssl_client_hello = true,
}

local function real_now()
  ngx.update_time() -- another worker's clock moved on meanwhile: compare like with like
  return ngx.now()
end

local Shm = {}
Shm.__index = Shm

-- The next number to try: one past the highest claim any worker has noted.
-- Each worker notes its own claims under a key of its own, so a note is
-- never overwritten by a worker that read an older one (a single shared
-- note could move back past a thousand claims when a worker was stopped
-- between reading and writing it); and a note is always a number taken, so
-- the hint never runs ahead of the claims either.
local function next_number(d, p)
  local c = d:get(p .. ":n:x") or 0
  for w = 0, ngx.worker.count() - 1 do
    local n = d:get(p .. ":n:" .. w)
    if n and n > c then c = n end
  end
  return c
end

local function note_claim(d, p, c)
  d:set(p .. ":n:" .. (ngx.worker.id() or "x"), c + 1)
end

local function check_key(key)
  if type(key) ~= "string" or key == "" then
    error("budget key must be a non-empty string", 3)
  end
end

--- Takes one call for `key` if the budget has room.
-- @return 0 (taken), or seconds until room (nothing taken), or nil, err
function Shm:take(key, limit, window)
  check_key(key)
  if type(limit) ~= "number" or limit < 1 or limit % 1 ~= 0 then
    error("budget limit must be a whole number from 1", 2)
  end
  if type(window) ~= "number" or window <= 0 or window ~= window or window == math.huge then
    error("budget window must be a number of seconds above 0", 2)
  end
  local d, p = self.dict, PREFIX .. key
  local now = self.now()
  local held = d:get(p .. ":h")
  if held and held > now then
    return held - now
  end
  local c = next_number(d, p)
  for tries = 1, MAX_SCAN do
    if tries % 16 == 0 then
      -- a worker on another core claims as fast as this one scans: jump to
      -- its notes rather than chase it one number at a time
      local n = next_number(d, p)
      if n > c then c = n end
    end
    local slot = p .. ":t:" .. c
    if d:get(slot) == nil then
      if c >= limit then
        local before = d:get(p .. ":t:" .. (c - limit))
        if before and before + window > now then
          return math.max(before + window - now, 0.001)
        end
      end
      local ok, err, forcible = d:add(slot, now, window + 1)
      if ok then
        note_claim(d, p, c)
        if forcible then
          -- the dict evicted live entries to make room: takes may be forgotten
          return nil, "shm: lua_shared_dict " .. self.name .. " is full (evicting)"
        end
        return 0
      elseif err ~= "exists" then
        return nil, "shm: " .. tostring(err)
      end
    end
    c = c + 1
  end
  return nil, "shm: no free take number after " .. MAX_SCAN .. " tries"
end

--- How many calls `key` could take now (nothing taken, nothing written):
-- `limit` less the takes of the last `window` seconds among the last `limit`
-- numbers, 0 while a hold lasts.
-- @return calls left | nil, err
function Shm:left(key, limit, window)
  check_key(key)
  local d, p = self.dict, PREFIX .. key
  local now = self.now()
  local held = d:get(p .. ":h")
  if held and held > now then
    return 0
  end
  -- the next free number: the hint may lag behind another worker's claim
  local c = next_number(d, p)
  for _ = 1, MAX_SCAN do
    if d:get(p .. ":t:" .. c) == nil then break end
    c = c + 1
  end
  local taken = 0
  for i = math.max(c - limit, 0), c - 1 do
    local t = d:get(p .. ":t:" .. i)
    if t and t > now - window then taken = taken + 1 end
  end
  return limit - taken   -- (at most `limit` numbers looked at: never below 0)
end

local function lock(self, name)
  local d = self.dict
  local sleep = CAN_SLEEP[ngx.get_phase()]
  for _ = 1, LOCK_TRIES do
    local ok, err = d:add(name, true, LOCK_TTL)
    if ok then
      return true
    elseif err ~= "exists" then
      return nil, "shm: " .. tostring(err)
    end
    if sleep then ngx.sleep(0.001) end
  end
  return nil, "shm: lua_shared_dict " .. self.name .. ": hold lock busy"
end

--- Nobody takes for `key` before now + `seconds` (a later hold already set stays).
-- @return true | nil, err
function Shm:hold(key, seconds)
  check_key(key)
  if type(seconds) ~= "number" or seconds < 0 or seconds ~= seconds or seconds == math.huge then
    error("budget hold must be a number of seconds from 0", 2)
  end
  local d, p = self.dict, PREFIX .. key
  local ok, err = lock(self, p .. ":hl")
  if not ok then
    return nil, err
  end
  -- between add and delete nothing yields: the mutex is held for a few dict calls
  local till = self.now() + seconds
  local old = d:get(p .. ":h")
  local set_err
  if not old or old < till then
    ok, set_err = d:set(p .. ":h", till, seconds + 1)
  end
  d:delete(p .. ":hl")
  if not ok then
    return nil, "shm: " .. tostring(set_err)
  end
  return true
end

--- `spec` is the dict's name ("NAME" or "shm:NAME"). The clock is always
-- nginx's (ngx.now(), refreshed), the one clock every worker reads alike: a
-- client's own clock (`settings.now`) is not used. `settings.shm_now` replaces
-- it in tests only.
-- @return backend | nil, err
function M.new(spec, settings)
  if type(spec) ~= "string" then
    error("budget shm: the spec must be a string (shm:NAME)", 2)
  end
  local name = spec:match("^shm:(.*)$") or spec
  if name == "" then
    return nil, "shm: the budget needs a lua_shared_dict name (shm:NAME)"
  end
  local shared = ngx and ngx.shared
  if not shared then
    return nil, "shm: " .. name .. ": shared dicts exist only inside nginx (ngx_lua)"
  end
  local dict = shared[name]
  if not dict then
    return nil, "shm: no lua_shared_dict named " .. name
  end
  local now = settings and settings.shm_now or real_now
  if type(now) ~= "function" then
    error("budget shm: settings.shm_now must be a function", 2)
  end
  return setmetatable({ dict = dict, name = name, now = now }, Shm)
end

return M
