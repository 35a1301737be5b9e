-- Mist's vocabulary (roles, scopes, views, limits) and the token models are
-- stated once, in lua/mistapi/schema.lua: the C core reads them through the
-- generated csrc/schema.h, and the Lua layer, the CLI, its completion,
-- display and the emulator read the file itself. Here: the header is what
-- the generator makes of the schema; no reader keeps a list of its own; and a
-- view added to the schema of a copy of the tree, then `make schema` and a
-- build, is seen by every reader of that copy while this tree's refuse it.
local emu = require "support.emulator"
local schema = require "mistapi.schema"
local shell = require "support.shell"

local ROOT = (debug.getinfo(1, "S").source:match("^@(.*)/spec/[^/]*$")) or "."
local q = shell.quote
local LUA = jit and "luajit" or "lua5.4"
local ABI = jit and "5.1" or "5.4"
local NEW_VIEW = "spec_added_view"

-- Every line of the files under `dirs` of `root` whose name ends in one of
-- `exts`, but those of `skip`.
local function code_lines(root, dirs, exts, skip)
  local r = shell.capture("cd " .. q(root) .. " && find " .. dirs .. " -type f")
  assert(r.status == 0, r.err)
  local lines = {}
  for path in r.out:gmatch("[^\n]+") do
    local ext = path:match("%.(%w+)$") or ""
    if exts[ext] and not skip[path] then
      local n = 0
      for line in shell.read_file(root .. "/" .. path):gmatch("[^\n]*") do
        n = n + 1
        lines[#lines + 1] = { where = path .. ":" .. n, text = line, ext = ext }
      end
    end
  end
  return lines
end

-- A comment line states no fact: Lua `--`, C `/*`, ` *` and `//`.
local function is_comment(l)
  if l.ext == "lua" then return l.text:find("^%s*%-%-") ~= nil end
  return l.text:find("^%s*/?%*") ~= nil or l.text:find("^%s*//") ~= nil
end

-- How many names of `list` the text holds as items of a list: quoted
-- ("admin", "admin:org"), a set's key (admin = true), or beside a comma or
-- a bar (admin, helpdesk|installer).
local function count_items(text, list)
  local n = 0
  for _, name in ipairs(list) do
    local e = name:gsub("%p", "%%%0")
    if text:find("[\"']" .. e .. "[\"':]") or text:find("%f[%w_]" .. e .. "%s*=%s*true")
      or text:find("%f[%w_]" .. e .. "%s*[,|]") or text:find("[,|]%s*" .. e .. "%f[^%w_]") then
      n = n + 1
    end
  end
  return n
end

-- The lines that state a list of the schema's again: three roles, two
-- views, every scope, four token fields (quoted), a C field row, or a limit
-- of its own.
local function copies_among(lines)
  local fields, seen = {}, {}
  for _, m in ipairs(schema.models) do
    for _, f in ipairs(m.fields) do
      if not seen[f.name] then
        seen[f.name] = true
        fields[#fields + 1] = '"' .. f.name .. '"'
      end
    end
  end
  local copies = {}
  for _, l in ipairs(lines) do
    if not is_comment(l) then
      local quoted = 0
      for _, name in ipairs(fields) do
        if l.text:find(name, 1, true) then quoted = quoted + 1 end
      end
      local limit = l.text:find("MAX_PRIVILEGES%s*=?%s*%d") or l.text:find("MAX_SRC_IPS%s*=?%s*%d")
        or l.text:find("MAX_NAME%s*=?%s*%d") or (l.ext ~= "lua" and l.text:find('FIELD%("'))
      if count_items(l.text, schema.roles) >= 3 or count_items(l.text, schema.views) >= 2
        or count_items(l.text, schema.scopes) == #schema.scopes or quoted >= 4 or limit then
        copies[#copies + 1] = l.where .. ": " .. l.text
      end
    end
  end
  return copies
end

describe("the schema", function()
  it("is plain data: no require, no function", function()
    local text = shell.read_file(ROOT .. "/lua/mistapi/schema.lua")
    assert.falsy(text:find("require%s*[%(\"']"))
    assert.falsy(text:find("function%s*[%w_.:]*%s*%("))
    assert.equal(5, #schema.roles)
    assert.equal(10, schema.limits.privileges_max)
  end)

  it("agrees with the official OpenAPI document (api/): names, limits, fields", function()
    local cjson = require "cjson"
    local doc = cjson.decode(shell.read_file(ROOT .. "/api/mist-apitokens.openapi.json"))
    local s = doc.components.schemas
    local function resolve(v)
      while v["$ref"] do v = s[v["$ref"]:match("([^/]+)$")] end
      return v
    end
    assert.same(s.privilege_org_role.enum, schema.roles)
    assert.same(s.privilege_org_scope.enum, schema.scopes)
    assert.same(s.admin_privilege_view.enum, schema.views)
    assert.equal(s.org_apitoken_privileges.minItems, schema.limits.privileges_min)
    assert.equal(s.org_apitoken_privileges.maxItems, schema.limits.privileges_max)
    assert.equal(s.org_apitoken_src_ips.maximum, schema.limits.src_ips_max)
    local function same_fields(spec_name, ours)
      local spec = s[spec_name]
      local required = {}
      for _, name in ipairs(spec.required or {}) do required[name] = true end
      local want, got = {}, {}
      for name, prop in pairs(spec.properties) do
        prop = resolve(prop)
        want[name] = { writable = not prop.readOnly, required = required[name] == true,
                       nullable = prop.nullable == true }
      end
      for _, f in ipairs(ours.fields) do
        got[f.name] = { writable = f.writable == true, required = f.required == true, nullable = f.nullable == true }
      end
      assert.same(want, got, spec_name)
    end
    same_fields("privilege_org", schema.privilege)
    for _, m in ipairs(schema.models) do same_fields(m.name, m) end
  end)

  it("makes csrc/schema.h: the committed header is what the generator writes", function()
    local r = shell.capture("cd " .. q(ROOT) .. " && " .. LUA .. " tools/gen_schema.lua lua/mistapi/schema.lua")
    assert.equal(0, r.status, r.err)
    assert.equal(r.out, shell.read_file(ROOT .. "/csrc/schema.h"),
      "csrc/schema.h is stale: run make schema")
  end)

  it("is the only list of the roles, scopes, views, limits and token fields in the code", function()
    local lines = code_lines(ROOT, "csrc lua emulator/lua bin", { lua = true, c = true, h = true, [""] = true },
      { ["csrc/schema.h"] = true, ["lua/mistapi/schema.lua"] = true })
    assert.is_true(#lines > 5000)
    assert.same({}, copies_among(lines))
  end)

  it("would find each copy the readers had before it (their lines, verbatim)", function()
    local old = {
      { "csrc/validate.c", 'roles[] = { "admin", "helpdesk", "installer", "read", "write", NULL };' },
      { "csrc/validate.c", 'static const char *const scopes[] = { "org", "site", "sitegroup", NULL };' },
      { "csrc/validate.c", 'views[] = { "lobby_admin", "location", "marketing", "mxedge_admin",' },
      { "csrc/validate.h", '#define MISTAPI_ROLES "admin, helpdesk, installer, read, write"' },
      { "csrc/model_encode.c", "#define MAX_PRIVILEGES  10" },
      { "csrc/model_token.c", '    FIELD("created_time", FT_EPOCH, 0, 0),' },
      { "lua/mistapi/init.lua", '  lines[#lines + 1] = "privileges: { role = admin|helpdesk|installer|read|write, '
        .. 'scope = org|site|sitegroup,"' },
      { "lua/mistapi/cli/json.lua",
        '  "id", "name", "org_id", "privileges", "src_ips", "created_time", "created_by", "last_used", "key",' },
      { "lua/mistapi/cli/commands/create.lua", '.. " roles admin, helpdesk, installer, read, write; repeatable"' },
      { "lua/mistapi/cli/complete.lua",
        'local PRIVILEGES = { "admin:org", "write:org", "read:org", "helpdesk:org",' },
      { "emulator/lua/emu/validate.lua",
        "local ROLES = { admin = true, helpdesk = true, installer = true, read = true, write = true }" },
      { "emulator/lua/emu/validate.lua", "  reporting = true, security = true, super_observer = true," },
      { "emulator/lua/emu/validate.lua", "local MAX_NAME = 256" },
      { "lua/mistapi/cli/commands/create.lua",   -- an example, not a list: left alone
        '"ROLE:SCOPE[:ID]: admin:org, read:site:<site_id>, write:sitegroup:<id>;"' },
    }
    local lines = {}
    for i, o in ipairs(old) do
      lines[i] = { where = o[1] .. ":" .. i, text = o[2], ext = o[1]:match("%.(%w+)$") }
    end
    local found = {}
    for _, c in ipairs(copies_among(lines)) do found[tonumber(c:match("^[^:]+:(%d+)"))] = true end
    for i = 1, #old do
      local expected = i ~= #old
      assert.equal(expected, found[i] == true, old[i][1] .. ": " .. old[i][2])
    end
  end)
end)

describe("a view added to the schema", function()
  local tmp, copy

  -- What the readers of the tree at `root` make of NEW_VIEW: one line each.
  local function probe(root)
    local script = ([[
      package.path = %q .. "/lua/?.lua;" .. %q .. "/lua/?/init.lua;" .. package.path
      package.cpath = %q .. "/build/%s/?.so;" .. package.cpath
      local view = %q
      local core = require "mistapi.core"
      local privilege = { role = "read", scope = "org", views = { view } }
      local body, err = core.encode_token { name = "v", privileges = { privilege } }
      print("encode " .. tostring(body or err))
      local t = assert(core.decode(core.encode { name = "v", privileges = { privilege } }, "token"))
      require "mistapi.display"
      print("display " .. tostring(t))
      print("complete " .. table.concat(require("mistapi.cli.complete").candidates { "create", "--view", "" }, " "))
      for _, row in ipairs(require("mistapi.cli.commands.create").options) do
        if row[1] == "view" then print("help " .. row[4]) end
      end
    ]]):format(root, root, root, ABI, NEW_VIEW)
    local path = tmp .. "/probe.lua"
    local f = assert(io.open(path, "w"))
    f:write(script)
    f:close()
    local r = shell.capture(LUA .. " " .. q(path))
    assert.equal(0, r.status, r.err)
    local out = {}
    for what, rest in r.out:gmatch("(%a+) ([^\n]*)") do out[what] = rest end
    return out
  end

  -- POST a token with NEW_VIEW to an emulator started from `script`.
  local function emulator_status(script)
    local saved = emu.SCRIPT
    emu.SCRIPT = script
    local ok, e = pcall(emu.start)
    emu.SCRIPT = saved
    assert(ok, e)
    local status, data = e:api("POST", e:tokens_path(),
      { name = "viewed", privileges = { { role = "read", scope = "org", views = { NEW_VIEW } } } })
    e:stop()
    return status, data
  end

  setup(function()
    tmp = assert(io.popen("mktemp -d")):read("*l")
    -- the tracked and new files: the tree as it would be committed, nothing built
    local r = shell.capture("cd " .. q(ROOT) .. " && git ls-files -co --exclude-standard -z | xargs -0 tar cf - | "
      .. "(mkdir -p " .. q(tmp .. "/src") .. " && tar xf - -C " .. q(tmp .. "/src") .. ")")
    assert(r.status == 0, r.err)
    copy = tmp .. "/src"
    local path = copy .. "/lua/mistapi/schema.lua"
    local text, n = shell.read_file(path):gsub('"switch_admin",', '"switch_admin", "' .. NEW_VIEW .. '",', 1)
    assert(n == 1, "the schema's views end with switch_admin")
    local f = assert(io.open(path, "w"))
    f:write(text)
    f:close()
  end)

  teardown(function()
    if tmp then shell.capture("rm -rf " .. q(tmp)) end
  end)

  it("leaves the header stale until make schema, then every reader of the copy sees it", function()
    -- the staleness check above would fail on the copy
    local gen = shell.capture("cd " .. q(copy) .. " && " .. LUA .. " tools/gen_schema.lua")
    assert.equal(0, gen.status, gen.err)
    assert.are_not.equal(gen.out, shell.read_file(copy .. "/csrc/schema.h"))

    local r = shell.capture("make -s --no-print-directory -C " .. q(copy) .. " schema build-" .. ABI)
    assert.equal(0, r.status, r.out .. r.err)
    assert.equal(gen.out, shell.read_file(copy .. "/csrc/schema.h"))

    local real, seen = probe(ROOT), probe(copy)
    -- this tree refuses the view: the copy's acceptance is the schema's doing
    assert.truthy(real.encode:find('"' .. NEW_VIEW .. '" is not one of lobby_admin', 1, true), real.encode)
    assert.equal('{"name":"v","privileges":[{"role":"read","scope":"org","views":["' .. NEW_VIEW .. '"]}]}',
      seen.encode)
    assert.truthy(seen.display:find("read@org[" .. NEW_VIEW .. "]", 1, true), seen.display)
    assert.falsy(real.complete:find(NEW_VIEW, 1, true))
    assert.truthy(real.complete:find("lobby_admin", 1, true))
    assert.truthy(seen.complete:find(NEW_VIEW, 1, true), seen.complete)
    assert.falsy(real.help:find(NEW_VIEW, 1, true))
    assert.truthy(seen.help:find(NEW_VIEW, 1, true), seen.help)
  end)

  it("is accepted by the copy's emulator, and refused by this tree's", function()
    local status, data = emulator_status(tmp .. "/src/emulator/bin/mist-emulator")
    assert.equal(200, status)
    assert.same({ NEW_VIEW }, data.privileges[1].views)
    status, data = emulator_status(emu.SCRIPT)
    assert.equal(400, status)
    assert.truthy(data.detail:find(NEW_VIEW, 1, true))
  end)
end)
