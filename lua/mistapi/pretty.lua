--- Any decoded answer (an object, an array, nested) as readable Lua-like
-- text, for the REPL and `tostring`: `{ email = "a@b.c", privileges = [admin@org] }`.
-- Short values stay on one line; longer ones get one field a line, indented.
-- Values whose `__tostring` the module set (tokens, privileges) print as
-- themselves; fields that hold a secret (`key`, `token`, `password`...) are
-- masked; strings are quoted with control characters (and bytes that aren't
-- UTF-8) escaped; long arrays
-- stop after `max_items` with how many more.
-- @module mistapi.pretty

local text = require "mistapi.text"

local pretty = {}

local WIDTH = 78          -- past this a value is laid out one field a line
local MAX_DEPTH = 6

-- Field names whose value is a secret, wherever they appear: a name that
-- holds one of these words (`key`, `tokens`, `created_keys`, `Authorization`,
-- `csrftoken`...). Every string under such a field is masked, in nested
-- tables too, so a client's settings or headers print without a credential.
local SECRET_WORDS = { "key", "token", "password", "passwd", "secret", "cookie", "authorization", "csrf",
                       "two_factor", "session_id" }

local function is_secret_name(k)
  if type(k) ~= "string" then return false end
  local lower = k:lower()
  for _, w in ipairs(SECRET_WORDS) do
    if lower:find(w, 1, true) then return true end
  end
  return false
end

-- The one mask, the one quoting (controls, C1 and invalid bytes as
-- escapes) and the one key order: mistapi.text's.
local mask = text.mask
local quote = text.quote

local function is_identifier(k)
  return type(k) == "string" and k:match("^[%a_][%w_]*$") ~= nil
end

-- The value's own __tostring, if it has one; arrays are laid out here instead.
local function own_tostring(v, opts)
  local mt = getmetatable(v)
  if type(mt) ~= "table" or (opts.array_mt and mt == opts.array_mt) then return nil end
  return rawget(mt, "__tostring")
end

-- Is `t` a sequence 1..n with nothing else (or marked as an array)?
local function is_array(t, array_mt)
  if array_mt and getmetatable(t) == array_mt then return true end
  local n = #t
  if n == 0 then return false end
  local count = 0
  for _ in pairs(t) do count = count + 1 end
  return count == n
end

local sorted_keys = text.sorted_keys

local render

-- Parts of a table: for an array its items, for an object `k = v` pairs.
local function parts_of(t, opts, depth, seen)
  local parts = {}
  if is_array(t, opts.array_mt) then
    local n = #t
    local shown = math.min(n, opts.max_items or 50)
    for i = 1, shown do parts[i] = render(t[i], opts, depth + 1, seen) end
    if n > shown then parts[#parts + 1] = ("... %d more (%d in all)"):format(n - shown, n) end
    return parts, "[", "]"
  end
  for _, k in ipairs(sorted_keys(t)) do
    local v = t[k]
    local name = is_identifier(k) and k or ("[" .. (type(k) == "string" and quote(k) or tostring(k)) .. "]")
    local shown
    if (opts.masking or is_secret_name(k)) and type(v) == "string" then
      shown = mask(v)
    elseif is_secret_name(k) and type(v) == "table" and not opts.masking then
      opts.masking = true
      shown = render(v, opts, depth + 1, seen)
      opts.masking = nil
    else
      shown = render(v, opts, depth + 1, seen)
    end
    parts[#parts + 1] = name .. " = " .. shown
  end
  return parts, "{", "}"
end

function render(v, opts, depth, seen)
  local tv = type(v)
  if tv == "string" then return opts.masking and mask(v) or quote(v) end
  if tv ~= "table" then
    if opts.null ~= nil and v == opts.null then return "null" end
    return tostring(v)
  end
  local own = own_tostring(v, opts)
  if own then return (tostring(v):gsub("\n", "\n" .. ("  "):rep(depth))) end
  if seen[v] then return "<cycle>" end
  if depth >= MAX_DEPTH then return "{...}" end
  seen[v] = true
  local parts, open, close = parts_of(v, opts, depth, seen)
  seen[v] = nil
  if #parts == 0 then return open .. close end
  local line = open .. " " .. table.concat(parts, ", ") .. " " .. close
  if #line + depth * 2 <= WIDTH and not line:find("\n", 1, true) then return line end
  local pad = ("  "):rep(depth + 1)
  return open .. "\n" .. pad .. table.concat(parts, ",\n" .. pad) .. "\n" .. ("  "):rep(depth) .. close
end

--- A value as readable text.
-- @param v any value
-- @param opts optional { max_items = 50, array_mt = <the core's array metatable>, null = <core.null> }
function pretty.value(v, opts)
  return render(v, opts or {}, 0, {})
end

return pretty
