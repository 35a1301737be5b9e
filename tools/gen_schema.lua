-- Writes the C core's header csrc/schema.h from lua/mistapi/schema.lua, the
-- one statement of Mist's vocabulary and token models:
--   lua5.4 tools/gen_schema.lua [lua/mistapi/schema.lua] > csrc/schema.h
-- (`make schema`). The header is committed, so that building the core needs a
-- C compiler and no Lua interpreter; spec/09-schema_spec.lua fails when it
-- is not what this script makes of the schema. Any Lua from 5.1 runs it.

local path = arg and arg[1] or "lua/mistapi/schema.lua"
local schema = dofile(path)

local out = {}
local function emit(s) out[#out + 1] = s end

local function check(ok, message)
  if not ok then
    io.stderr:write("gen_schema: ", path, ": ", message, "\n")
    os.exit(1)
  end
end

local function ident(s)
  check(type(s) == "string" and s:match("^[%l_][%l%d_]*$"), ("%q is not a lower-case name"):format(tostring(s)))
  return s:upper()
end

local function quoted(list, sep)
  local parts = {}
  for i, s in ipairs(list) do parts[i] = '"' .. s .. '"' end
  return table.concat(parts, sep or ", ")
end

local function index_of(list, s)
  for i, v in ipairs(list) do
    if v == s then return i - 1 end
  end
  check(false, ("%q is not one of %s"):format(tostring(s), table.concat(list, ", ")))
end

-- Fields in the order the core writes them: writable ones first, each group
-- in the schema's order (mistapi_model_known and write_token rely on it).
local function ordered(fields)
  local w, r = {}, {}
  for _, f in ipairs(fields) do
    ident(f.name)
    check(#f.name < 256, f.name .. ": name too long")
    if f.writable then w[#w + 1] = f else r[#r + 1] = f end
  end
  for _, f in ipairs(r) do w[#w + 1] = f end
  return w
end

local function field_rows(fields, scopes)
  local rows = {}
  for i, f in ipairs(fields) do
    local scope = f.type == "scope_id" and index_of(scopes, f.scope) or -1
    rows[i] = ('    FIELD("%s", FT_%s, %d, %d, %d)'):format(f.name, ident(f.type), f.writable and 1 or 0,
      f.required and 1 or 0, scope)
  end
  return table.concat(rows, ", \\\n")
end

local function writable_names(fields)
  local names = {}
  for _, f in ipairs(fields) do
    if f.writable then names[#names + 1] = f.name end
  end
  return table.concat(names, ", ")
end

check(#schema.views <= 32, "more than 32 views: the core keeps a privilege's views in a 32-bit mask")
for _, list in ipairs { "roles", "scopes", "views" } do
  for _, s in ipairs(schema[list]) do ident(s) end
end
local limits = schema.limits

emit("/* Mist's vocabulary and token models for the C core. Generated from")
emit(" * lua/mistapi/schema.lua by tools/gen_schema.lua (make schema): edit the")
emit(" * schema, not this file. */")
emit("#ifndef MISTAPI_SCHEMA_H")
emit("#define MISTAPI_SCHEMA_H")
emit("")
emit("/* Each list of names: its items (an initializer), as one line for messages. */")
emit("#define MISTAPI_ROLE_NAMES " .. quoted(schema.roles))
emit('#define MISTAPI_ROLES "' .. table.concat(schema.roles, ", ") .. '"')
emit("#define MISTAPI_SCOPE_NAMES " .. quoted(schema.scopes))
emit('#define MISTAPI_SCOPES "' .. table.concat(schema.scopes, ", ") .. '"')
emit("#define MISTAPI_VIEW_NAMES " .. quoted(schema.views))
emit('#define MISTAPI_VIEWS "' .. table.concat(schema.views, ", ") .. '"')
emit("")
local scope_enum = {}
for i, s in ipairs(schema.scopes) do scope_enum[i] = "SCOPE_" .. ident(s) end
emit("enum mistapi_scope { " .. table.concat(scope_enum, ", ") .. " };")
emit("")
emit("#define MISTAPI_MIN_PRIVILEGES " .. assert(tonumber(limits.privileges_min)))
emit("#define MISTAPI_MAX_PRIVILEGES " .. assert(tonumber(limits.privileges_max)))
emit("#define MISTAPI_MAX_SRC_IPS " .. assert(tonumber(limits.src_ips_max)))
emit("")

local privilege = schema.privilege
local pfields = ordered(privilege.fields)
local pk, n_ids, seen_scope = { "PK_UNKNOWN = -1" }, 0, false
for i, f in ipairs(pfields) do
  pk[i + 1] = "PK_" .. ident(f.name)
  if f.type == "scope" then seen_scope = true end
  if f.type == "scope_id" then
    check(seen_scope, f.name .. ": a scope_id field must come after the scope")
    n_ids = n_ids + 1
  end
  check(not (f.required and not f.writable), f.name .. ": required but read-only")
end
emit("/* " .. privilege.name .. ": the keys, writable ones first. */")
emit("enum mistapi_privilege_key { " .. table.concat(pk, ", ") .. " };")
emit('#define MISTAPI_PRIVILEGE_MODEL "' .. ident(privilege.name):lower() .. '"')
emit('#define MISTAPI_PRIVILEGE_MT "' .. privilege.metatable .. '"')
emit('#define MISTAPI_PRIVILEGE_KNOWN "' .. writable_names(pfields) .. '"')
emit("#define MISTAPI_PRIVILEGE_SCOPE_IDS " .. math.max(n_ids, 1))
emit("#define MISTAPI_PRIVILEGE_FIELDS \\")
emit(field_rows(pfields, schema.scopes))
emit("")

-- The privilege's keys by length, then one memcmp: what the decoder asks of
-- every key of every privilege, as fast as a hand-written switch.
local by_len, lens = {}, {}
for _, f in ipairs(pfields) do
  if not by_len[#f.name] then
    by_len[#f.name] = {}
    lens[#lens + 1] = #f.name
  end
  table.insert(by_len[#f.name], f)
end
table.sort(lens)
emit("/* The body of a function (const char *k, size_t n) -> enum mistapi_privilege_key. */")
emit("#define MISTAPI_PRIVILEGE_KEY_SWITCH \\")
emit("    switch (n) { \\")
for _, len in ipairs(lens) do
  local tests = {}
  for i, f in ipairs(by_len[len]) do
    tests[i] = ('memcmp(k, "%s", %d) == 0 ? PK_%s : '):format(f.name, len, ident(f.name))
  end
  emit(("    case %d: return %sPK_UNKNOWN; \\"):format(len, table.concat(tests)))
end
emit("    default: return PK_UNKNOWN; \\")
emit("    }")
emit("")

emit("/* The token models: MISTAPI_MODELS(M) is M(ident, name, one, list, metatable)")
emit(" * for each, the first being encode_token's default; MISTAPI_FIELDS_<ident>")
emit(" * its fields, writable ones first. FIELD(name, type, writable, required, scope). */")
local rows = {}
for i, m in ipairs(schema.models) do
  ident(m.name)
  rows[i] = ('    M(%s, "%s", "%s", "%s", "%s")'):format(m.name, m.name, m.one, m.list, m.metatable)
  emit("#define MISTAPI_FIELDS_" .. m.name .. " \\")
  emit(field_rows(ordered(m.fields), schema.scopes))
end
emit("#define MISTAPI_MODELS(M) \\")
emit(table.concat(rows, " \\\n"))
emit("")
emit("#endif")

io.write(table.concat(out, "\n"), "\n")
