--- `mistapi-tokens apply FILE --key-dir DIR`: plans, shows the plan, asks
-- (or takes --yes), then carries it out: creates, updates, replaces, deletes,
-- in that order. Each new key goes to DIR/<name>.key (mode 0600), made
-- before anything is sent; the first failure stops the run. FILE may be a
-- saved plan (`plan --out`): exactly that plan, or nothing (exit 7) when the
-- org changed since it was made.
-- @module mistapi.cli.commands.apply

local display = require "mistapi.display"
local keystore = require "mistapi.keystore"
local lock = require "mistapi.cli.lock"
local plan_json = require "mistapi.cli.plan_json"
local saved_plan = require "mistapi.cli.saved_plan"
local words = require "mistapi.cli.words"
local fleet = require "mistapi.cli.fleet"

local PAST = { create = "created", update = "updated", replace = "replaced", delete = "destroyed" }

local function clean(s) return display.scrub(s) end

-- The names of a plan's tokens that get a new key.
local function key_names(p)
  local names = {}
  for _, s in ipairs(p.steps) do
    if s.action == "create" or s.action == "replace" then names[#names + 1] = s.name end
  end
  return names
end

-- The key store of a plan's new keys in `dir`: false when the plan makes
-- none; nil and a message (a usage error) when a key file is in the way.
local function key_store(dir, p)
  local names = key_names(p)
  if #names == 0 then return false end
  local ks, kerr = keystore.dir(dir, names, { label = "--key-dir" })
  if not ks then return nil, kerr end
  for _, s in ipairs(p.steps) do
    if s.action == "create" and ks.existing(s.name) and not s.pending then
      ks.abandon()
      return nil, ("--key-dir: %s exists; not overwriting it"):format(ks.path_of(s.name))
    end
  end
  return ks
end

-- The options of an org's apply: its key store `ks` (or none) and the command line's.
local function apply_opts(o, ks)
  return {
    store = ks and ks.store, load = ks and ks.load, commit = ks and ks.commit, discard = ks and ks.discard,
    retired = ks and ks.retired,
    restart = o.restart, allow_self = o["allow-self"], verify = not o["no-verify"],
  }
end

-- Says what an org's apply did (`res`, or the error `aerr`), its new keys in
-- `ks` (or none); `where` ("org ID") starts each line of a run of several orgs.
-- @return the exit status and the counts of what was done
local function report(ctx, o, ks, where, res, aerr)
  if ks then ks.abandon() end
  local say = o.json and ctx.err or ctx.out
  local prefix = where and (where .. ": ") or ""
  local done = res and res.done or (aerr and aerr.done) or {}
  local c = { create = 0, update = 0, replace = 0, delete = 0 }
  for _, d in ipairs(done) do
    c[d.action] = c[d.action] + 1
    local line = ("%s%s %s"):format(prefix, PAST[d.action], clean(d.name))
    if ks and ks.path_of(d.name) and (d.action == "create" or d.action == "replace") then
      line = line .. ": key in " .. ks.path_of(d.name)
    end
    say(line)
  end
  if not res then
    local status = ctx.fail(aerr, nil, where)
    -- a new token whose clean-up failed lives on: its key stays in its file
    local f = aerr.failed
    if ks and f and ks.stored(f.name) then
      ctx.err(("mistapi-tokens: %sthe key of %s is in %s"):format(prefix, clean(f.name), ks.path_of(f.name)))
    end
    return status, c
  end
  return ctx.OK, c
end

-- Carries out plan `p` in `org_id`, new keys into `ks` (or none), and says what was done.
local function carry_out(ctx, o, tokens, org_id, p, ks, where)
  return report(ctx, o, ks, where, tokens:apply_org_api_tokens(org_id, p, apply_opts(o, ks)))
end

local function complete_text(c)
  return ("%d created, %d changed, %d replaced, %d destroyed"):format(c.create, c.update, c.replace, c.delete)
end

return {
  summary = "bring the org's tokens to a desired state (a JSON file); new keys go to files in DIR",
  args = { "FILE" },
  synopsis = "FILE|PLANFILE --key-dir DIR [--prune] [--yes]",
  org = true,
  fleet = true,
  options = fleet.options {
    { "key-dir", "value", "DIR", "where new keys go: DIR/<name>.key, mode 0600 (with several orgs,"
      .. " DIR/<org_id>/<name>.key); for a replace, a file there that"
      .. " holds the old token's key is replaced in place once the new key is proved; an existing file that"
      .. " holds the key of an interrupted create or replace finishes it" },
    { "prune", "flag", nil, "also destroy managed tokens the file doesn't name" },
    { "prefix", "value", "PREFIX", "tokens whose names start with PREFIX are managed (overrides the file's)" },
    { "yes", "flag", nil, "do not ask; needed when standard input is not a terminal" },
    { "no-verify", "flag", nil, "don't use new keys (a host outside their src_ips can't); read each token back"
      .. " and compare its privileges instead" },
    { "restart", "flag", nil, "a create or replace whose earlier run was interrupted and whose key is lost"
      .. " starts afresh" },
    { "allow-self", "flag", nil, "allow replacing or destroying the token this command itself runs with" },
  },
  -- one apply of a key dir (or, with none, of an org) at a time
  run = lock.guard("apply", function(ctx, o)
    if ctx.fleet then
      return require("mistapi.cli.fleet_apply").run(ctx, o, { key_names = key_names, key_store = key_store,
        apply_opts = apply_opts, report = report, complete_text = complete_text })
    end
    local tokens = ctx.client:orgs_api_tokens()
    local p, saved = saved_plan.plan_for(ctx, o, tokens)
    if not p then return saved end
    ctx.out(o.json and plan_json.encode(p) or words.plan(tostring(p), "apply"))
    if p:is_empty() then return ctx.OK end
    if #key_names(p) > 0 and not o["key-dir"] then
      return ctx.usage("apply makes new tokens: pass --key-dir DIR for their keys")
    end
    local ks, kerr = key_store(o["key-dir"], p)
    if ks == nil then return ctx.usage(kerr) end
    ks = ks or nil
    if not o.yes and not saved then   -- a saved plan was shown when it was made, as terraform does
      local ok, status = ctx.confirm("apply these changes?")
      if not ok then
        if ks then ks.abandon() end
        return status
      end
    end
    local status, c = carry_out(ctx, o, tokens, ctx.org, p, ks)
    if status ~= ctx.OK then return status end
    local say = o.json and ctx.err or ctx.out
    say(("Apply complete: %s."):format(complete_text(c)))
    return ctx.OK
  end),
}
