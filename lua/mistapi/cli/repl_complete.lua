--- Tab completion for the REPL, read from the objects themselves: a table's
-- own fields, then whatever its metatable's `__index` chain offers (the
-- methods of a client, of every resource it hands out, of a result), so a
-- resource or helper added later completes with no change here.
-- @module mistapi.cli.repl_complete

local complete = {}

local KEYWORDS = { "and", "break", "do", "else", "elseif", "end", "false", "for", "function", "goto", "if",
                   "in", "local", "nil", "not", "or", "repeat", "return", "then", "true", "until", "while" }

-- Every key `v` answers to without calling code: own fields, then each
-- `__index` table up the chain. A raising proxy answers for its target.
local function keys_of(v, out, seen)
  out, seen = out or {}, seen or {}
  if seen[v] then return out end
  seen[v] = true
  if type(v) == "string" then v = string end   -- ("x"):upper
  if type(v) == "table" then
    for k, val in pairs(v) do
      if type(k) == "string" and out[k] == nil then out[k] = val end
    end
  end
  local mt = (type(v) == "table" or type(v) == "userdata") and getmetatable(v)
  if type(mt) == "table" then
    local index = rawget(mt, "__index")
    if type(index) == "table" then
      keys_of(index, out, seen)
    elseif type(v) == "table" and type(rawget(v, "target")) == "table" then
      keys_of(rawget(v, "target"), out, seen)   -- mistapi.raising's proxy
    end
  end
  return out
end
complete.keys_of = keys_of

-- The value a dotted name stands for (`client.settings`), looked up with
-- rawget and `__index` tables only, so completing never runs code.
local function lookup(env, path)
  local v = env
  for name in path:gmatch("[^%.:]+") do
    if v == nil then return nil end
    v = keys_of(v)[name]
  end
  return v
end
complete.lookup = lookup

--- What may complete `word` (the text before the cursor, from its last break).
-- @param word as `tokens:li`, `mistapi.`, `res.data.pri`, `cli`
-- @param env the table globals come from
-- @return an array of whole replacements for `word`, sorted
function complete.candidates(word, env)
  local base, sep, partial = word:match("^(.-)([%.:])([%w_]*)$")
  local out = {}
  if not base then   -- a global name or a keyword
    partial = word:match("[%w_]*$") or ""
    local prefix = word:sub(1, #word - #partial)
    for k, v in pairs(keys_of(env)) do
      if k:sub(1, #partial) == partial and (k:sub(1, 1) ~= "_" or partial:sub(1, 1) == "_") then
        out[#out + 1] = prefix .. k .. (type(v) == "function" and "(" or "")
      end
    end
    for _, k in ipairs(KEYWORDS) do
      if k:sub(1, #partial) == partial and #partial > 0 then out[#out + 1] = prefix .. k end
    end
    table.sort(out)
    return out
  end
  if base == "" or not base:match("^[%a_][%w_%.]*$") then return out end
  local v = lookup(env, base)
  if v == nil then return out end
  local methods_only = sep == ":"
  for k, val in pairs(keys_of(v)) do
    if k:sub(1, #partial) == partial and k:match("^[%a_][%w_]*$")
        and (k:sub(1, 1) ~= "_" or partial:sub(1, 1) == "_") then
      if not methods_only or type(val) == "function" then
        out[#out + 1] = base .. sep .. k .. (type(val) == "function" and "(" or "")
      end
    end
  end
  table.sort(out)
  return out
end

--- The word being completed in `line` up to `to`: the run of names, dots and
-- colons that ends there (what readline hands over between its word breaks).
function complete.word_at(line)
  return line:match("[%w_%.:]*$")
end

return complete
