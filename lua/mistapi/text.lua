--- The one text module: everything mistapi puts on a terminal, in a log
-- line or in an error text goes through it. One character rule (`clean`),
-- one way to cut a line (`line`), one key mask (`mask`, `is_masked`), one redaction
-- (`redact`, the same "[redacted]" the C core writes), one key order
-- (`sorted_keys`) and one table layout (`table`).
--
-- The character rule: text from a server (or a file, or curl) may hold
-- anything. What a terminal or a log reader could act on never passes:
-- C0 controls (CR, LF, BS...), DEL, the C1 controls as UTF-8 (U+0080..U+009F;
-- U+009B is a CSI on some terminals), and whole escape sequences (ESC [ ...
-- final, ESC ] ... BEL or ESC \, the other string sequences, two-byte ESC x),
-- each shown as one placeholder so no part of it reaches the screen. Bytes
-- that are not valid UTF-8 are shown as the placeholder too.
-- @module mistapi.text

local text = {}

--- What a secret is replaced with, in Lua and in the C core alike.
text.REDACTED = "[redacted]"

--- What stands for a control character, an escape sequence or a bad byte.
text.PLACEHOLDER = "?"

-- Any byte the rule looks at: controls, DEL, and every non-ASCII byte.
local SPECIAL = "[%z\1-\31\127-\255]"

-- The end (the index after it) of a control string (OSC, DCS, SOS, PM, APC)
-- whose body starts at j: BEL, ESC \ or the C1 ST end it; CAN and SUB abort
-- it; an ESC that is no ST ends it and starts a sequence of its own; an
-- unterminated one runs to the end of the text.
local function string_end(s, j)
  local a = s:find("[\7\24\26\27]", j)
  local st = s:find("\194\156", j, true)
  if st and (not a or st < a) then return st + 2 end
  if not a then return #s + 1 end
  if s:byte(a) == 27 then
    if s:byte(a + 1) == 92 then return a + 2 end
    return a
  end
  return a + 1
end

-- The end of a CSI whose parameters start at j: parameter bytes, then
-- intermediate bytes, then one final byte. Without a final byte the
-- sequence ends where its parameters do (what follows is looked at anew).
local function csi_end(s, j)
  local _, e = s:find("^[\48-\63]*[\32-\47]*[\64-\126]", j)
  if e then return e + 1 end
  _, e = s:find("^[\48-\63]*[\32-\47]*", j)
  return e + 1
end

-- String-introducing finals after ESC: ] P X ^ _ (OSC, DCS, SOS, PM, APC),
-- and their C1 forms' second bytes.
local ESC_STRING = { [93] = true, [80] = true, [88] = true, [94] = true, [95] = true }
local C1_STRING = { [0x9D] = true, [0x90] = true, [0x98] = true, [0x9E] = true, [0x9F] = true }

-- The end of an escape sequence whose ESC is at i.
local function escape_end(s, i)
  local b = s:byte(i + 1)
  if not b then return i + 1 end
  if b == 91 then return csi_end(s, i + 2) end
  if ESC_STRING[b] then return string_end(s, i + 2) end
  if b >= 32 and b <= 47 then
    local _, e = s:find("^[\32-\47]*[\48-\126]", i + 1)
    if e then return e + 1 end
    _, e = s:find("^[\32-\47]*", i + 1)
    return e + 1
  end
  if b >= 48 and b <= 126 then return i + 2 end
  return i + 1
end

-- The length of the valid UTF-8 character at i (lead byte c), or nil.
local function utf8_len(s, i, c)
  local n, lo, hi
  if c >= 0xC2 and c <= 0xDF then n, lo, hi = 2, 0x80, 0xBF
  elseif c == 0xE0 then n, lo, hi = 3, 0xA0, 0xBF
  elseif c == 0xED then n, lo, hi = 3, 0x80, 0x9F        -- no surrogates
  elseif c >= 0xE1 and c <= 0xEF then n, lo, hi = 3, 0x80, 0xBF
  elseif c == 0xF0 then n, lo, hi = 4, 0x90, 0xBF
  elseif c >= 0xF1 and c <= 0xF3 then n, lo, hi = 4, 0x80, 0xBF
  elseif c == 0xF4 then n, lo, hi = 4, 0x80, 0x8F
  else return nil end
  local b = s:byte(i + 1)
  if not b or b < lo or b > hi then return nil end
  for k = 2, n - 1 do
    b = s:byte(i + k)
    if not b or b < 0x80 or b > 0xBF then return nil end
  end
  return n
end

--- `s` under the character rule: each control character, escape sequence
-- and invalid byte becomes `with` (default "?"); with `merge`, a run of
-- them becomes one `with` (a log line: "a\r\nb" is "a b" with " ").
-- @param s string
-- @param with optional replacement
-- @param merge optional boolean
function text.sanitize(s, with, merge)
  if not s:find(SPECIAL) then return s end
  with = with or text.PLACEHOLDER
  local out, n, i, len = {}, 0, 1, #s
  local dropped = false
  while i <= len do
    local a, b = s:find("^[\32-\126]+", i)
    local next_i, keep
    if a then
      next_i, keep = b + 1, true
    else
      local c = s:byte(i)
      if c == 27 then
        next_i = escape_end(s, i)
      elseif c < 0x80 then
        next_i = i + 1
      else
        local u = utf8_len(s, i, c)
        if not u then
          next_i = i + 1
        elseif c == 0xC2 and s:byte(i + 1) <= 0x9F then
          local c1 = s:byte(i + 1)
          if c1 == 0x9B then next_i = csi_end(s, i + 2)
          elseif C1_STRING[c1] then next_i = string_end(s, i + 2)
          else next_i = i + 2 end
        else
          next_i, keep = i + u, true
        end
      end
    end
    if keep then
      n = n + 1
      out[n] = s:sub(i, next_i - 1)
      dropped = false
    elseif not (merge and dropped) then
      n = n + 1
      out[n] = with
      dropped = true
    end
    i = next_i
  end
  return table.concat(out)
end

--- `s` with each byte that is not part of valid UTF-8 replaced by "?"
-- (controls are left to the caller: a JSON encoder escapes them).
function text.valid_utf8(s)
  if not s:find("[\128-\255]") then return s end
  local out, n, i, len = {}, 0, 1, #s
  while i <= len do
    local a, b = s:find("^[%z\1-\127]+", i)
    if a then
      n = n + 1; out[n] = s:sub(a, b); i = b + 1
    else
      local u = utf8_len(s, i, s:byte(i))
      n = n + 1
      if u then out[n] = s:sub(i, i + u - 1); i = i + u
      else out[n] = text.PLACEHOLDER; i = i + 1 end
    end
  end
  return table.concat(out)
end

--- `s` cut to at most `max` bytes, marked "..." when cut; never in the
-- middle of a UTF-8 character.
function text.cut(s, max)
  if #s <= max then return s end
  local keep = math.max(max - 3, 0)
  -- back off continuation bytes so a character is kept whole or not at all
  while keep > 0 and keep < #s do
    local b = s:byte(keep + 1)
    if b < 0x80 or b >= 0xC0 then break end
    keep = keep - 1
  end
  return s:sub(1, keep) .. "..."
end

--- Text of many lines for a screen (the REPL's output): each line and
-- each tab-separated part under the character rule, the line breaks and
-- tabs kept.
function text.lines(s)
  return (tostring(s):gsub("[^\n\t]+", text.sanitize))
end

--- Any value as text for a screen: `tostring(v)` under the character rule;
-- nil is "-".
function text.clean(v)
  if v == nil then return "-" end
  return text.sanitize(tostring(v))
end

--- `text.clean(v)` cut to `max` bytes (default 60): a table cell.
function text.line(v, max)
  return text.cut(text.clean(v), max or 60)
end

-- East Asian wide and emoji ranges take two columns on a terminal.
local WIDE = {
  { 0x1100, 0x115F }, { 0x2E80, 0xA4CF }, { 0xAC00, 0xD7A3 }, { 0xF900, 0xFAFF },
  { 0xFE30, 0xFE4F }, { 0xFF00, 0xFF60 }, { 0xFFE0, 0xFFE6 }, { 0x1F300, 0x1F64F },
  { 0x1F900, 0x1F9FF }, { 0x20000, 0x3FFFD },
}

local function columns_of(cp)
  for i = 1, #WIDE do
    if cp >= WIDE[i][1] and cp <= WIDE[i][2] then return 2 end
  end
  return 1
end

--- Columns on screen of (clean) UTF-8 text, decoded by hand (LuaJIT has no
-- utf8 library).
function text.width(s)
  local n = 0
  for ch in s:gmatch("[\1-\127\192-\255][\128-\191]*") do
    local b = ch:byte(1)
    if b < 0xC0 or #ch == 1 then
      n = n + 1
    else
      local cp = b % (b >= 0xF0 and 0x08 or b >= 0xE0 and 0x10 or 0x20)
      for i = 2, #ch do cp = cp * 64 + ch:byte(i) % 64 end
      n = n + columns_of(cp)
    end
  end
  return n
end

--- Rows of cells (each already clean) as aligned lines, two spaces between
-- columns, the last column not padded.
-- @return the text, lines joined by "\n" (no trailing newline)
function text.table(rows)
  local widths = {}
  for _, row in ipairs(rows) do
    for c, cell in ipairs(row) do widths[c] = math.max(widths[c] or 0, text.width(cell)) end
  end
  local lines = {}
  for r, row in ipairs(rows) do
    local cells = {}
    for c, cell in ipairs(row) do
      cells[c] = c < #row and cell .. (" "):rep(widths[c] - text.width(cell)) or cell
    end
    lines[r] = table.concat(cells, "  ")
  end
  return table.concat(lines, "\n")
end

--- Whether `s` is a key as servers show it, masked: `abcd...wxyz`.
function text.is_masked(s)
  return type(s) == "string" and s:match("^....%.%.%.....$") ~= nil
end

--- A key (or any secret) as `1qkb...QQCL`: the first and last four
-- characters. One the server masked already stays as it is; one too short
-- to hide anything that way shows no characters at all.
-- @param key string or nil
-- @return the masked text ("-" when there is none)
function text.mask(key)
  if type(key) ~= "string" or key == "" then return "-" end
  if text.is_masked(key) then return text.clean(key) end
  if #key < 16 then return "****" end
  return text.clean(key:sub(1, 4) .. "..." .. key:sub(-4))
end

-- Keys of different types sort by type name, then by value.
local function natural(a, b)
  local ta, tb = type(a), type(b)
  if ta ~= tb then return ta < tb end
  if ta == "string" or ta == "number" then return a < b end
  return tostring(a) < tostring(b)
end

--- The keys of `t` in a fixed order: those `rank` names first, by rank,
-- then the others (strings by value, numbers before strings' type name
-- order), so output is the same on every run.
-- @param t table
-- @param rank optional { key = position }
function text.sorted_keys(t, rank)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  if rank then
    local last = math.huge
    table.sort(keys, function(a, b)
      local ra, rb = rank[a] or last, rank[b] or last
      if ra ~= rb then return ra < rb end
      return natural(a, b)
    end)
  else
    table.sort(keys, natural)
  end
  return keys
end

--- A string as a Lua literal, for the REPL: control characters (C0, DEL,
-- C1 in UTF-8) and bytes that aren't valid UTF-8 written as decimal
-- escapes, so an escape sequence shows as `\27[2J`, never acts.
-- @param s string
-- @param max optional byte bound before quoting (default 200, then "...")
function text.quote(s, max)
  s = text.cut(s, max or 200)
  local out, n, i, len = { '"' }, 1, 1, #s
  while i <= len do
    local a, b = s:find('^[^%z\1-\31"\\\127-\255]+', i)
    if a then
      n = n + 1; out[n] = s:sub(a, b); i = b + 1
    else
      local c = s:byte(i)
      local u = c >= 0x80 and utf8_len(s, i, c)
      if u and not (c == 0xC2 and s:byte(i + 1) <= 0x9F) then
        n = n + 1; out[n] = s:sub(i, i + u - 1); i = i + u
      else
        local e
        if c == 34 or c == 92 then e = "\\" .. string.char(c)
        elseif c == 10 then e = "\\n"
        elseif c == 9 then e = "\\t"
        else e = ("\\%d"):format(c) end
        n = n + 1; out[n] = e; i = i + 1
      end
    end
  end
  out[n + 1] = '"'
  return table.concat(out)
end

-- Secrets as a de-duplicated list, longest first, so that a secret inside
-- another is hidden as part of the longer one.
local function secret_list(secrets)
  local list, seen = {}, {}
  for i = 1, #secrets do
    local v = secrets[i]
    -- every non-empty secret, however short: a 6-character password is a password too
    if type(v) == "string" and v ~= "" and not seen[v] then
      seen[v] = true
      list[#list + 1] = v
    end
  end
  table.sort(list, function(a, b) return #a > #b end)
  return list
end

--- Replaces each secret found in `s` with "[redacted]" (every non-empty
-- secret, however short; the C core does the same). Linear in the text:
-- every secret is searched for once from left to right and the text is put
-- together once at the end.
-- @param s string or nil
-- @param secrets array of strings (tokens, keys, the password, cookie values) to hide
function text.redact(s, secrets)
  if type(s) ~= "string" or not secrets or s == "" then return s end
  local list = secret_list(secrets)
  if #list == 0 then return s end
  -- the spans to hide, by start; a span inside an earlier one is skipped
  local starts, stops = {}, {}
  for i = 1, #list do
    local secret = list[i]
    local from = 1
    while true do
      local a, b = s:find(secret, from, true)
      if not a then break end
      starts[#starts + 1], stops[#stops + 1] = a, b
      from = b + 1
    end
  end
  if #starts == 0 then return s end
  local order = {}
  for i = 1, #starts do order[i] = i end
  table.sort(order, function(x, y) return starts[x] < starts[y] end)
  local out, pos = {}, 1
  for _, k in ipairs(order) do
    local a, b = starts[k], stops[k]
    if b >= pos then
      if a > pos then out[#out + 1] = s:sub(pos, a - 1) end
      out[#out + 1] = text.REDACTED
      pos = b + 1
    end
  end
  out[#out + 1] = s:sub(pos)
  return table.concat(out)
end

return text
