--- The call budget of each API token: at most `budget_limit` calls in any
-- `budget_window` seconds, and none while a 429's Retry-After holds it. The
-- `budget` option names where it is counted: `memory:` (this client alone),
-- `shm:NAME` (every worker of one nginx), `redis://HOST:PORT[/DB]` (every
-- process on every host). The pipeline takes one call from the token's
-- budget before each attempt (`take`) and holds it after a 429 (`hold`).
--
-- A shared backend that fails (Redis down or slow) never fails a call: the
-- client counts alone in memory meanwhile, says so through the `log` hook,
-- and tries the shared one again after a while.
-- @module mistapi.budget

local core = require "mistapi.lazy_core"
local errors = require "mistapi.errors"
local memory = require "mistapi.budget.memory"

local budget = {}

-- How long a shared backend that failed is left alone before it is tried again.
budget.RETRY_SHARED = 10

--- The backend a `budget` option names ("memory", "shm", "redis"), or nil
-- and why not (the option is never a secret, but it is cleaned anyway).
function budget.kind(spec)
  if spec == "memory:" then return "memory" end
  if spec:match("^shm:[%w_%-%.]+$") then return "shm" end
  if spec:match("^redis://[^%s%c]+$") then return "redis" end
  return nil, ('budget: "%s" is not memory:, shm:NAME or redis://HOST:PORT[/DB]'):format(errors.tidy(spec))
end

-- A shared backend keys a token by a keyed digest of it: the token is never
-- stored or sent. The same on every host, so that all share one budget.
local DIGEST_KEY = "mistapi budget v1"
local function key_of(token)
  return core.keyed_digest(DIGEST_KEY, token)
end

local Shared = {}
Shared.__index = Shared

-- The key of token `index`, made once.
function Shared:key(index)
  local k = self.keys[index]
  if not k then
    k = key_of(self.tokens[index])
    self.keys[index] = k
  end
  return k
end

function Shared:warn(message)
  local hook = self.log
  if hook then hook { warning = message, budget = self.name } end
end

-- The shared backend failed: count alone until it is worth trying again.
function Shared:failed(err)
  local first = not self.down_until
  self.down_until = self.now() + budget.RETRY_SHARED
  if first then
    self:warn(("budget: %s failed (%s); this client counts alone (memory:) until it answers again")
      :format(self.name, errors.redact(errors.tidy(tostring(err)), self.tokens)))
  end
end

-- Whether the shared backend is to be asked now.
function Shared:up()
  local down = self.down_until
  return not down or self.now() >= down
end

-- The shared backend answered: when it had failed, say it counts again.
function Shared:answered()
  if self.down_until then
    self.down_until = false
    self:warn(("budget: %s answers again; the shared budget counts again"):format(self.name))
  end
end

--- 0 when token `index` has taken one call now, else seconds until room.
function Shared:take(index, limit, window)
  if self:up() then
    local wait, err = self.backend:take(self:key(index), limit, window)
    if wait then
      self:answered()
      -- the local count goes on too, so a fall-back starts from what this client spent
      if wait == 0 then self.alone:take(index, limit, window) end
      return wait
    end
    self:failed(err)
  end
  return self.alone:take(index, limit, window)
end

--- `take` for one limit and window, as a function of the index alone (the
-- pipeline's form: see memory's `taker`).
function Shared:taker(limit, window)
  return function(index) return self:take(index, limit, window) end
end

--- How many calls token `index` could take now (nothing taken): the shared
-- backend's count, or this client's own while the shared one fails.
function Shared:left(index, limit, window)
  if self:up() then
    local n, err = self.backend:left(self:key(index), limit, window)
    if n then
      self:answered()
      return n
    end
    self:failed(err)
  end
  return self.alone:left(index, limit, window)
end

--- Holds token `index`'s budget for `seconds` (a 429's Retry-After).
function Shared:hold(index, seconds)
  self.alone:hold(index, seconds)
  if self:up() then
    local ok, err = self.backend:hold(self:key(index), seconds)
    if ok then
      self:answered()
    else
      self:failed(err)
    end
  end
  return true
end

--- The budget of a client: the settings of config.resolve (`budget`,
-- `tokens`, `log`) and its clock (the transport: a table whose `now` gives
-- seconds). Memory keys a token by its index (nothing leaves the process);
-- a shared backend by its digest.
-- @return an object with take(index, limit, window), taker(limit, window)
--   -> function(index) (the same take, for one limit and window),
--   hold(index, seconds) and left(index, limit, window) (calls left now,
--   nothing taken), or nil and a message (a backend that can't be made from the option)
function budget.open(settings, clock)
  local spec = settings.budget or "memory:"
  local kind, why = budget.kind(spec)
  if not kind then return nil, why end
  local alone = memory.new("memory:", { clock = clock })
  local function now() return clock.now() end
  if kind == "memory" then return alone end
  local backend, err = require("mistapi.budget." .. kind).new(spec, setmetatable({ now = now }, { __index = settings }))
  if not backend then return nil, err end
  return setmetatable({
    backend = backend, alone = alone, now = now, log = settings.log, tokens = settings.tokens,
    name = errors.hide_userinfo(spec), keys = {}, down_until = false,
  }, Shared)
end

return budget
