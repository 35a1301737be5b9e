--- How tokens, privileges, results and lists look when printed.
-- Loading this module gives the `mistapi.Token`, `mistapi.UserToken` and
-- `mistapi.Privilege` metatables (set by the C core on decoded tables) and
-- the result metatable a `__tostring`, so the REPL and `print` show them readably while the
-- values stay plain tables. A token's key is always masked here: the whole
-- key appears only when the caller reads `token.key` itself.
-- @module mistapi.display

local result = require "mistapi.result"
local pretty = require "mistapi.pretty"
local schema = require "mistapi.schema"
local text = require "mistapi.text"

local display = {}

--- How many rows `tostring` of a list shows before "... N more" (a screenful;
-- the REPL sets it from the terminal's height). `display.table` alone shows all.
display.rows = 20

-- The metatable the C core registers under `name` (luaL_newmetatable). If
-- the core isn't loaded yet, the entry is made here: luaL_newmetatable then
-- finds and keeps it, so the order of loading doesn't matter.
local function registered(name)
  local reg = debug.getregistry()
  local mt = reg[name]
  if type(mt) ~= "table" then
    mt = {}
    reg[name] = mt
  end
  mt.__name = name
  return mt
end

-- The schema's models by name (org_apitoken, user_apitoken).
local MODEL = {}
for _, m in ipairs(schema.models) do MODEL[m.name] = m end

local TokenMT = registered(MODEL.org_apitoken.metatable)
local UserTokenMT = registered(MODEL.user_apitoken.metatable)
local PrivilegeMT = registered(schema.privilege.metatable)
local ArrayMT = registered("mistapi.array")
display.Token = TokenMT
display.UserToken = UserTokenMT
display.Privilege = PrivilegeMT

-- A privilege's id fields, and which scope asks for each (site -> site_id).
local ID_FIELDS, SCOPE_ID = {}, {}
for _, f in ipairs(schema.privilege.fields) do
  if f.type == "scope_id" then
    ID_FIELDS[#ID_FIELDS + 1] = f.name
    SCOPE_ID[f.scope] = f.name
  end
end
-- (the lifecycle and the CLI read it too)
display.SCOPE_ID = SCOPE_ID

--- Server text for a screen: `tostring(v)` under `mistapi.text`'s one
-- character rule (controls, escape sequences and invalid bytes shown as
-- "?"), so it can't break the layout, forge lines or send the terminal
-- escape sequences; nil is "-".
-- @function scrub
-- @param v any value
display.scrub = text.clean

-- Server text shown on one line, very long values cut.
local clean = text.line

--- Columns on screen of UTF-8 text (wide characters count two).
-- @function width
-- @param s string
display.width = text.width

--- A key as `1qkb...QQCL`: the first and last four characters. A key too
-- short to hide anything that way shows no characters at all.
-- @param key string or nil
-- @return the masked text ("-" when there is no key)
-- @function mask
display.mask = text.mask

--- An epoch time (seconds) as `2023-07-23 12:25:10Z` (UTC).
-- @param t number or nil
-- @param none the text for nil (default "-")
function display.time(t, none)
  if type(t) ~= "number" or t ~= t or t < 0 or t > 253402300799 then return none or "-" end
  return os.date("!%Y-%m-%d %H:%M:%SZ", math.floor(t))
end

--- A privilege as `admin@org`, `read@site:<site_id>`, `write@sitegroup:<id>`,
-- with views in brackets: `admin@org[lobby_admin,location]`.
function display.privilege(p)
  if type(p) ~= "table" then return clean(p) end
  local out = clean(p.role or "?", 20) .. "@" .. clean(p.scope or "?", 20)
  local id = SCOPE_ID[p.scope] and p[SCOPE_ID[p.scope]]
  for i = 1, #ID_FIELDS do id = id or p[ID_FIELDS[i]] end
  if id then out = out .. ":" .. clean(id, 40) end
  if type(p.views) == "table" and #p.views > 0 then
    local views = {}
    for i = 1, #p.views do views[i] = clean(p.views[i], 20) end
    out = out .. "[" .. table.concat(views, ",") .. "]"
  end
  return out
end

--- The privileges of a token, separated by `sep` ("," unless given); "-" when none.
function display.privileges(list, sep)
  if type(list) ~= "table" or #list == 0 then return "-" end
  local parts = {}
  for i = 1, #list do parts[i] = display.privilege(list[i]) end
  return table.concat(parts, sep or ",")
end

--- A field of a token as text, by its row in `mistapi.schema`: a secret
-- masked, an epoch as a time, privileges as `display.privileges`.
-- @param t the token
-- @param f the field's row in the schema
-- @param none the text for no value (default "-")
-- @param line true on a token's one line, where a name may take more room
function display.field(t, f, none, line)
  local v = t[f.name]
  if f.secret then return display.mask(v) end
  if f.type == "epoch" then return display.time(v, none) end
  if f.type == "privileges" then return display.privileges(v) end
  return clean(v, (line and f.type == "name") and 60 or 40)
end

-- A model's columns (the schema's `columns`): each { head, label, text(t, line) }.
local function columns_of_model(m)
  local fields, cols = {}, {}
  for _, f in ipairs(m.fields) do fields[f.name] = f end
  for i, c in ipairs(m.columns) do
    local f, none = assert(fields[c[1]], c[1]), c.none
    cols[i] = { c[2], c.label, function(t, line) return display.field(t, f, none, line) end }
  end
  return cols
end

-- A token of the model on one line: its columns, each after its label.
local function line_of_model(columns)
  return function(t)
    local parts = {}
    for i, col in ipairs(columns) do
      parts[i] = (col[2] and col[2] .. " " or "") .. col[3](t, true)
    end
    return table.concat(parts, "  ")
  end
end

-- Each token metatable: its one-line form and its table's columns.
local KINDS = {}
for _, m in ipairs(schema.models) do
  local columns = columns_of_model(m)
  KINDS[registered(m.metatable)] = { line = line_of_model(columns), columns = columns }
end
local COLUMNS = KINDS[TokenMT].columns

--- A token on one line: name, id, privileges, created and last used (UTC), masked key.
-- @function token
-- @param t
display.token = KINDS[TokenMT].line

--- A user's own token on one line: name, id, created and last used (UTC),
-- masked key (it has no privileges of its own: it acts with its user's).
-- @function user_token
-- @param t
display.user_token = KINDS[UserTokenMT].line

--- An array of tokens as an aligned table with a header row; user tokens
-- (a list whose first item is one) get no PRIVILEGES column.
-- @param list array of token tables
-- @param max_rows optional: show only the first rows, then how many more
-- @return the text, lines joined by "\n" (no trailing newline)
function display.table(list, max_rows)
  local kind = list[1] ~= nil and KINDS[getmetatable(list[1])]
  local columns = kind and kind.columns or COLUMNS
  local rows = { {} }
  for c, col in ipairs(columns) do rows[1][c] = col[1] end
  local shown = math.min(#list, max_rows or #list)
  for i = 1, shown do
    local row = {}
    for c, col in ipairs(columns) do row[c] = col[3](list[i]) end
    rows[#rows + 1] = row
  end
  local lines = { text.table(rows) }
  if shown < #list then
    lines[#lines + 1] = ("... %d more (%d in all; display.table(list) shows every row)"):format(#list - shown, #list)
  end
  return table.concat(lines, "\n")
end

--- Any other value (an object, an array, nested) as readable text; secrets masked.
function display.value(v)
  return pretty.value(v, { array_mt = ArrayMT, max_items = display.rows })
end

-- A list of tokens: empty, or made of tables whose first is a decoded token.
local function is_token_list(data)
  if type(data) ~= "table" or KINDS[getmetatable(data)] then return false end
  if next(data) == nil then return true end
  for i = 1, #data do
    if type(data[i]) ~= "table" then return false end
  end
  return data[1] ~= nil and KINDS[getmetatable(data[1])] ~= nil
end

-- One item of a bulk result: the token, true (done), or its error.
local function bulk_item(v, err)
  if err then return "failed: " .. tostring(err) end
  if v == true then return "done" end
  local kind = type(v) == "table" and KINDS[getmetatable(v)]
  if kind then return kind.line(v) end
  return display.value(v)
end

-- A list of tokens: how many, then the first screenful of the table.
local function token_list(data)
  local n = #data
  local out = ("%d token%s"):format(n, n == 1 and "" or "s")
  if n > display.rows then out = out .. (" (the first %d shown)"):format(display.rows) end
  return out .. "\n" .. display.table(data, display.rows)
end

--- A result: its status, then the token, the table of tokens, each item of a
-- bulk call, any other answer laid out, or nothing.
function display.result(r)
  local data = r.data
  local head = "mistapi.Result " .. tostring(r.status)
  if type(r.errors) == "table" and type(r.failed) == "number" and type(data) == "table" then
    -- a bulk call: status 200 only when every item succeeded
    local n = #data
    local lines = { ("mistapi.Result %s: %d asked, %d done, %d failed"):format(
      r.failed == 0 and "200" or "(bulk)", n, n - r.failed, r.failed) }
    local shown = math.min(n, display.rows)
    for i = 1, shown do lines[#lines + 1] = ("[%d] %s"):format(i, bulk_item(data[i], r.errors[i])) end
    if shown < n then lines[#lines + 1] = ("... %d more (res.data, res.errors)"):format(n - shown) end
    return table.concat(lines, "\n")
  end
  if data == nil then return head .. " (no data)" end
  local kind = KINDS[getmetatable(data)]
  if kind then return head .. ": " .. kind.line(data) end
  if is_token_list(data) then return head .. ": " .. token_list(data) end
  if type(data) == "table" and data[1] ~= nil then   -- any other list (client:request, get_all)
    local n = #data
    return ("%s: %d item%s\n%s"):format(head, n, n == 1 and "" or "s", display.value(data))
  end
  return head .. ": " .. display.value(data)
end

-- An array (from the core's decoder): tokens as a table, anything else laid out.
local function array_text(a)
  if #a > 0 and is_token_list(a) then return token_list(a) end
  return display.value(a)
end

for mt, kind in pairs(KINDS) do mt.__tostring = kind.line end
PrivilegeMT.__tostring = display.privilege
ArrayMT.__tostring = array_text
result.mt.__tostring = display.result

return display
