-- The operations of the token lifecycle the simulation drives, as data: each
-- sets up its world through the control API (no API call, so the n-th API
-- request of a case is the n-th of the operation), runs once through the
-- library or the CLI, and says what it may touch and what "done" means.
--   name        how reports name it
--   via         "lib" (a method, in a coroutine) or "cli" (mistapi-tokens, in this
--               process; in a child process for a kill or an unwritable stdout)
--   setup(c)    makes its tokens and files (c.e, c.dir, c.own); may set c.token
--   run(c, r)   the operation: r.lib(fn(client)) or r.cli(argv)
--   goal(c, s)  nil when snapshot s is what the operation is for, else why not
--   touches(c, t)   whether a token that existed before may change (t from the snapshot)
--   may_create(c, name) whether a token of that name may appear
--   again       a successful run repeated must change nothing (apply, the CLI's key
--               files); the others make a new token each time they succeed
--   keystores   the key-store failures that apply (see failures.lua)
--   key_paths(c) the files that hold keys (CLI); a key staged beside one (PATH.new) counts
--               as held: the next run with the same path finishes from it (docs/lifecycle.md)
--   c.in_place_key (set by setup) { path, old }: a key file that holds the key of the token
--               replaced, which the run replaces in place (invariants.lua checks PATH.prev)
-- The library's plain `create_org_api_token` and `create_api_token` are one API request
-- each, not lifecycle methods: their promise is the API's; the CLI's create and
-- self create, which keep the lifecycle's, are here.
local cjson = require "cjson"
local world = require "support.simulation.world"

local M = {}

local SITE = "c2d4e6f8-1a3b-4c5d-8e7f-9a0b1c2d3e4f"
local TWO = { { role = "read", scope = "org" }, { role = "write", scope = "site", site_id = SITE } }
local READ = { { role = "read", scope = "org" } }
local WRITE = { { role = "write", scope = "org" } }
local TWO_ARGS = { "--privilege", "read:org", "--privilege", "write:site:" .. SITE }

local function privs(list) return world.set_text(list, world.privilege_text) end

-- A rotation's temporary name left behind: a rotation stopped half-way.
local function unfinished(s)
  for _, t in pairs(s) do
    if t.name:find(" [rotation of ", 1, true) then
      return "an unfinished rotation " .. world.describe(t) .. " is left"
    end
  end
end

-- Exactly one token named `name`, its key held, (privileges, src_ips as given).
local function one_held(c, s, name, want)
  local found = world.named(s, name)
  if #found ~= 1 then return ("%d tokens named %q"):format(#found, name) end
  local t = found[1]
  if not c:holds(t.key) then return ("nobody holds the key of %s"):format(world.describe(t)) end
  if want and want.privileges and t.privileges ~= privs(want.privileges) then
    return ("%s has privileges %s"):format(world.describe(t), t.privileges)
  end
  if want and want.src_ips and t.src_ips ~= world.set_text(want.src_ips) then
    return ("%s has src_ips %s"):format(world.describe(t), t.src_ips)
  end
  return nil, t
end

local function gone(s, id, what)
  if s[id] then return what .. " " .. world.describe(s[id]) .. " still exists" end
end

-- A rotation of c.old under c.final: the old token gone (or kept, renamed), one
-- token of the final name whose key is held, no unfinished rotation left.
local function rotated(c, s)
  local left = unfinished(s)
  if left then return left end
  local why, new = one_held(c, s, c.final, { privileges = c.privileges })
  if why then return why end
  if c.keep_old then
    local old = s[c.old.id]
    if not old or old.name ~= c.final .. " [replaced by " .. new.id .. "]" then
      return "the old token is not kept as replaced"
    end
    return nil
  end
  return gone(s, c.old.id, "the old token")
end

local function rotation_names(c, name)
  return name == c.final or name == c.final .. " [rotation of " .. c.old.id .. "]"
end

-- finish: the kept old token gone, its replacement still there.
local function finished(c, s)
  return gone(s, c.old.id, "the old token") or (not s[c.new.id] and "the new token is gone" or nil)
end

local function touches_old(c, t) return t.id == c.old.id end
local function creates_nothing() return false end
local function touches_nothing() return false end

local function org_old(c, name, privileges)
  c.old = c.e:make_token { name = name, privileges = privileges or TWO }
  c.final, c.privileges = name, privileges or TWO
end

local function self_old(c)
  local me = c.e:make_self_token { name = "me" }
  c.token, c.own = me.key, me.id
  c.old = c.e:make_self_token { name = "laptop" }
  c.final = "laptop"
end

local function lib_opts(c, extra)
  local o = { store = c:vault_store(), load = c:vault_load(), verify_wait = 0 }
  for k, v in pairs(extra or {}) do o[k] = v end
  return o
end

-- The desired state of the apply operations, and the world it starts from:
-- one to create, one to update in place, one to replace (src_ips), one to prune,
-- and tokens it must not touch.
local DESIRED = {
  prefix = "app-",
  tokens = {
    ["app-new"] = { privileges = READ },
    ["app-mon"] = { privileges = TWO },
    ["app-edge"] = { privileges = READ, src_ips = { "127.0.0.0/8" } },
  },
}

-- (in org_id: the emulator's org when nil)
local function apply_setup(c, org_id)
  c.mon = c.e:make_token { name = "app-mon", privileges = WRITE, org_id = org_id }
  c.edge = c.e:make_token { name = "app-edge", privileges = READ, src_ips = { "127.0.0.1" }, org_id = org_id }
  c.gone = c.e:make_token { name = "app-old", privileges = READ, org_id = org_id }
  c.e:make_token { name = "ops-manual", privileges = WRITE, org_id = org_id }
  c.e:make_token { name = "apps-report", privileges = READ, org_id = org_id }
end

local function applied(c, s)
  for name, want in pairs(DESIRED.tokens) do
    local why, t = one_held(c, s, name, want)
    if why and name == "app-mon" then why = nil; t = world.named(s, name)[1] end
    if why then return why end
    if name == "app-mon" and (t.id ~= c.mon.id or t.privileges ~= privs(want.privileges)) then
      return "app-mon was not updated in place"
    end
  end
  return unfinished(s) or gone(s, c.gone.id, "the pruned token")
end

local function apply_touches(c, t) return t.id == c.mon.id or t.id == c.edge.id or t.id == c.gone.id end
local function apply_creates(c, name)
  return name == "app-new" or name == "app-new [being created]" or name == "app-edge"
    or name == "app-edge [rotation of " .. c.edge.id .. "]"
end

local function key_file(c) return c.key_path or (c.dir .. "/token.key") end

-- A key file that holds the old token's key, as a deployment that rotates in place has.
local function holding(path, key)
  local f = assert(io.open(path, "w"))
  f:write(key, "\n")
  f:close()
end

local function unchanged(c, s) if not world.same(c.S0, s) then return "the world changed" end end

M.list = {
  {
    name = "rotate", via = "lib",
    setup = function(c) org_old(c, "ci") end,
    run = function(c, r)
      return r.lib(function(client)
        return client:orgs_api_tokens():rotate_org_api_token(c.e.org_id, c.old.id, lib_opts(c))
      end)
    end,
    goal = rotated, touches = touches_old, may_create = rotation_names, stores = true,
  },
  {
    name = "rotate keep_old", via = "lib",
    setup = function(c) org_old(c, "ci"); c.keep_old = true end,
    run = function(c, r)
      return r.lib(function(client)
        return client:orgs_api_tokens():rotate_org_api_token(c.e.org_id, c.old.id, lib_opts(c, { keep_old = true }))
      end)
    end,
    goal = rotated, touches = touches_old, may_create = rotation_names, stores = true,
  },
  {
    name = "finish", via = "lib", again = true,
    setup = function(c)
      c.new = c.e:make_token { name = "ci", privileges = READ }
      c.old = c.e:make_token { name = "ci [replaced by " .. c.new.id .. "]", privileges = READ }
    end,
    run = function(c, r)
      return r.lib(function(client)
        return client:orgs_api_tokens():finish_org_api_token_rotation(c.e.org_id, c.old.id)
      end)
    end,
    goal = finished,
    touches = touches_old, may_create = creates_nothing,
  },
  {
    name = "self rotate", via = "lib",
    setup = self_old,
    answers = { "self_create_object", "self_create_several" },
    run = function(c, r)
      return r.lib(function(client) return client:self_api_tokens():rotate_api_token(c.old.id, lib_opts(c)) end)
    end,
    goal = rotated, touches = touches_old, may_create = rotation_names, stores = true,
  },
  {
    name = "apply", via = "lib", again = true,
    setup = apply_setup,
    run = function(c, r)
      return r.lib(function(client)
        return client:orgs_api_tokens():apply_org_api_tokens(c.e.org_id, DESIRED, lib_opts(c, { prune = true }))
      end)
    end,
    goal = applied, touches = apply_touches, may_create = apply_creates, stores = true,
  },
  {
    name = "rotate own token", via = "lib", again = true, refusal = true,
    setup = function(c) c.old = { id = c.own } end,
    run = function(c, r)
      return r.lib(function(client)
        return client:orgs_api_tokens():rotate_org_api_token(c.e.org_id, c.own, lib_opts(c))
      end)
    end,
    goal = function(c, s) if not world.same(c.S0, s) then return "the world changed" end end,
    touches = touches_nothing, may_create = creates_nothing,
  },
  {
    name = "apply pruning own token", via = "lib", again = true, refusal = true,
    setup = function() end,
    run = function(c, r)
      return r.lib(function(client)
        return client:orgs_api_tokens():apply_org_api_tokens(c.e.org_id,
          { managed = { "emulator bootstrap token" }, tokens = { ["app-x"] = { privileges = READ } } },
          lib_opts(c, { prune = true }))
      end)
    end,
    goal = function(c, s) if not world.same(c.S0, s) then return "the world changed" end end,
    touches = touches_nothing, may_create = creates_nothing,
  },

  -- mistapi-tokens
  {
    name = "cli create --key-file F", via = "cli", again = true,
    setup = function() end,
    run = function(c, r)
      local argv = { "create", "--name", "app-made", "--key-file", key_file(c) }
      for _, a in ipairs(TWO_ARGS) do argv[#argv + 1] = a end
      return r.cli(argv)
    end,
    goal = function(c, s) return (one_held(c, s, "app-made", { privileges = TWO })) end,
    touches = touches_nothing, may_create = function(_, name) return name == "app-made" end,
    keystores = { "exists", "notdir", "device", "denied", "disk_full" },
    key_paths = function(c) return { key_file(c) } end,
  },
  {
    name = "cli create --key-file -", via = "cli",
    setup = function() end,
    run = function(_, r)
      return r.cli { "create", "--name", "app-made", "--privilege", "read:org", "--key-file", "-" }
    end,
    goal = function(c, s) return (one_held(c, s, "app-made")) end,
    touches = touches_nothing, may_create = function(_, name) return name == "app-made" end,
    keystores = { "stdout_full", "stdout_closed" }, key_paths = function() return {} end,
  },
  {
    name = "cli self create --key-file F", via = "cli", again = true,
    setup = function(c) local me = c.e:make_self_token { name = "me" }; c.token, c.own = me.key, me.id end,
    run = function(c, r) return r.cli { "self", "create", "--name", "phone", "--key-file", key_file(c) } end,
    goal = function(c, s) return (one_held(c, s, "phone")) end,
    touches = touches_nothing, may_create = function(_, name) return name == "phone" end,
    keystores = { "exists", "notdir", "denied", "disk_full" },
    key_paths = function(c) return { key_file(c) } end,
    answers = { "self_create_object", "self_create_several" },
  },
  {
    name = "cli rotate --key-file F", via = "cli", again = true,
    setup = function(c) org_old(c, "ci") end,
    run = function(c, r) return r.cli { "rotate", c.old.id, "--key-file", key_file(c) } end,
    goal = rotated, touches = touches_old, may_create = rotation_names,
    keystores = { "exists", "notdir", "device", "denied", "disk_full" },
    key_paths = function(c) return { key_file(c) } end,
  },
  {
    name = "cli rotate --key-file F (in place)", via = "cli", again = true,
    setup = function(c)
      org_old(c, "ci")
      c.key_path = c.dir .. "/ci.key"
      holding(c.key_path, c.old.key)
      c.in_place_key = { path = c.key_path, old = c.old }
    end,
    run = function(c, r) return r.cli { "rotate", c.old.id, "--key-file", c.key_path } end,
    goal = rotated, touches = touches_old, may_create = rotation_names,
    key_paths = function(c) return { c.key_path } end,
  },
  {
    name = "cli rotate --keep-old (in place)", via = "cli", again = true,
    setup = function(c)
      org_old(c, "ci"); c.keep_old = true
      c.key_path = c.dir .. "/ci.key"
      holding(c.key_path, c.old.key)
      c.in_place_key = { path = c.key_path, old = c.old }
    end,
    run = function(c, r) return r.cli { "rotate", c.old.id, "--key-file", c.key_path, "--keep-old" } end,
    goal = rotated, touches = touches_old, may_create = rotation_names,
    key_paths = function(c) return { c.key_path } end,
  },
  {
    name = "cli delete own token", via = "cli", again = true, refusal = true,
    setup = function() end,
    run = function(c, r) return r.cli { "delete", c.own, "--yes" } end,
    goal = unchanged, touches = touches_nothing, may_create = creates_nothing,
  },
  {
    name = "cli self delete own token", via = "cli", again = true, refusal = true,
    setup = function(c) local me = c.e:make_self_token { name = "me" }; c.token, c.own = me.key, me.id end,
    run = function(c, r) return r.cli { "self", "delete", c.own, "--yes" } end,
    goal = unchanged, touches = touches_nothing, may_create = creates_nothing,
  },
  {
    name = "cli rotate --keep-old", via = "cli",
    setup = function(c) org_old(c, "ci"); c.keep_old = true end,
    run = function(c, r) return r.cli { "rotate", c.old.id, "--key-file", key_file(c), "--keep-old" } end,
    goal = rotated, touches = touches_old, may_create = rotation_names,
    key_paths = function(c) return { key_file(c) } end,
  },
  {
    name = "cli rotate --key-file -", via = "cli",
    setup = function(c) org_old(c, "ci") end,
    run = function(c, r) return r.cli { "rotate", c.old.id, "--key-file", "-" } end,
    goal = rotated, touches = touches_old, may_create = rotation_names,
    keystores = { "stdout_full", "stdout_closed" }, key_paths = function() return {} end,
  },
  {
    name = "cli self rotate --key-file F", via = "cli", again = true,
    setup = self_old,
    answers = { "self_create_object", "self_create_several" },
    run = function(c, r) return r.cli { "self", "rotate", c.old.id, "--key-file", key_file(c) } end,
    goal = rotated, touches = touches_old, may_create = rotation_names,
    keystores = { "exists", "denied", "disk_full" },
    key_paths = function(c) return { key_file(c) } end,
  },
  {
    name = "cli rotate --finish", via = "cli", again = true,
    setup = function(c)
      c.new = c.e:make_token { name = "ci", privileges = READ }
      c.old = c.e:make_token { name = "ci [replaced by " .. c.new.id .. "]", privileges = READ }
    end,
    run = function(c, r) return r.cli { "rotate", c.old.id, "--finish" } end,
    goal = finished,
    touches = touches_old, may_create = creates_nothing,
  },
  {
    name = "cli apply --key-dir D", via = "cli", again = true,
    setup = function(c)
      apply_setup(c)
      c.state = c.dir .. "/state.json"
      local f = assert(io.open(c.state, "w"))
      f:write(cjson.encode(DESIRED))
      f:close()
      c.key_dir = c.key_dir or (c.dir .. "/keys")
      os.execute("mkdir -p '" .. c.dir .. "/keys'")
    end,
    run = function(c, r) return r.cli { "apply", c.state, "--key-dir", c.key_dir, "--prune", "--yes" } end,
    goal = applied, touches = apply_touches, may_create = apply_creates,
    keystores = { "exists", "notdir", "device", "denied", "disk_full" },
    key_paths = function(c) return { c.key_dir .. "/app-new.key", c.key_dir .. "/app-edge.key" } end,
  },
  {
    -- the key directory of an earlier apply: app-edge.key holds the key of the token it replaces
    name = "cli apply --key-dir D (reused)", via = "cli", again = true,
    setup = function(c)
      apply_setup(c)
      c.state = c.dir .. "/state.json"
      local f = assert(io.open(c.state, "w"))
      f:write(cjson.encode(DESIRED))
      f:close()
      c.key_dir = c.dir .. "/keys"
      os.execute("mkdir -p '" .. c.key_dir .. "'")
      holding(c.key_dir .. "/app-edge.key", c.edge.key)
      c.in_place_key = { path = c.key_dir .. "/app-edge.key", old = c.edge }
    end,
    run = function(c, r) return r.cli { "apply", c.state, "--key-dir", c.key_dir, "--prune", "--yes" } end,
    goal = applied, touches = apply_touches, may_create = apply_creates,
    key_paths = function(c) return { c.key_dir .. "/app-new.key", c.key_dir .. "/app-edge.key" } end,
  },
}

-- The operations across orgs (fleet_operations.lua) apply the same state to each org.
M.apply = { DESIRED = DESIRED, setup = apply_setup, goal = applied, touches = apply_touches, creates = apply_creates,
  holding = holding }
for _, op in ipairs(require("support.simulation.fleet_operations")(M.apply)) do M.list[#M.list + 1] = op end

return M
