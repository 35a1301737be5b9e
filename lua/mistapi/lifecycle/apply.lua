--- Carries out a plan (mistapi.lifecycle.plan), or plans a desired state
-- and carries that out: creates first, then updates, then replaces (each a
-- rotation: create, store, verify, delete), then deletes, so that a token is
-- never removed before what takes its place works. Every new key goes
-- through `opts.store` before the next call. A create runs under the name
-- `<name> [being created]` until its key is stored and proved, then takes
-- its name; a re-run finishes one left half-way (with `opts.load`) or, with
-- `opts.restart`, deletes it and creates again. The first failure stops the
-- run; the error says which step failed and lists what was done before it.
-- @module mistapi.lifecycle.apply

local failure = require "mistapi.lifecycle.failure"
local made = require "mistapi.lifecycle.made"
local markers = require "mistapi.lifecycle.markers"
local plan = require "mistapi.lifecycle.plan"
local privileges = require "mistapi.lifecycle.privileges"
local rotate = require "mistapi.lifecycle.rotate"
local verify = require "mistapi.lifecycle.verify"

local apply = {}

local function check_opts(opts, p)
  opts = opts or {}
  if type(opts) ~= "table" then error("apply: opts must be a table", 4) end
  local needs_store = p and (p.counts.create + p.counts.replace > 0)
  if opts.store ~= nil and type(opts.store) ~= "function" then error("apply: opts.store must be a function", 4) end
  if needs_store and not opts.store then
    error("apply: opts.store must be a function(key, token, name): the plan makes new tokens", 4)
  end
  return opts
end

local Run = {}
Run.__index = Run

function Run:fail(s, step, cause, state, secrets)
  return nil, failure.new("apply", ("%s %s: %s"):format(s.action, s.name, step), cause,
    state .. self:so_far(), { done = self.done, failed = s }, secrets)
end

function Run:so_far()
  local n = #self.done
  if n == 0 then return "; nothing was done before it" end
  local parts = {}
  for i, d in ipairs(self.done) do parts[i] = d.action .. " " .. d.name end
  return "; done before it: " .. table.concat(parts, ", ")
end

function Run:did(s, extra)
  local d = { action = s.action, name = s.name, id = s.id }
  for k, v in pairs(extra or {}) do d[k] = v end
  self.done[#self.done + 1] = d
end

-- An earlier run's unfinished create of this name (a token under the
-- temporary name): finished with the key `load` gives back, or, with
-- `restart`, deleted. -> the token and its key, or nil (none to finish), or
-- false and the error.
function Run:resume_create(s, pending)
  local t, opts = self.t, self.opts
  local keyless = true
  for _, p in ipairs(pending) do
    local key = made.held(opts.load, p, s.name)
    if key ~= false then keyless = false end
    if key and verify.new_token(t, p, key, s.to.privileges, opts) then
      return p, key
    end
  end
  -- under our temporary name and no store holds its key (a run stopped before
  -- its store): nobody can hold it, so it is deleted as restart would
  if not opts.restart and not keyless then
    return false, select(2, self:fail(s, "resume", ("an unfinished create of %s exists: token %s"):format(
      s.name, pending[1].id), "nothing was changed; give load (the CLI: the same --key-dir) the key stored"
      .. " for it to finish it, or restart to delete it and create again"))
  end
  for _, p in ipairs(pending) do
    local _, derr = t:delete(p.id)
    if made.deleted(t, p.id, derr) ~= true then
      return false, select(2, self:fail(s, "resume", derr, ("the unfinished create %s could not be deleted"):format(
        p.id)))
    end
  end
  return nil
end

-- A create runs under a temporary name until its key is stored and proved,
-- so that a run stopped half-way leaves a token the next run recognises.
function Run:create(s)
  local t, opts = self.t, self.opts
  local temp = markers.creating(s.to.name)
  local list, lerr = t:list()
  if not list then return self:fail(s, "read", lerr, "nothing was changed") end
  local pending, ids = {}, made.ids(list)
  for _, p in ipairs(list) do
    if p.name == temp then pending[#pending + 1] = p end
    -- a replace stopped after its old token went: that rotation is finished, not a second token made
    local kind, _, of = markers.parse(p.name)
    if kind == "rotation" and not ids[of] and p.name == markers.rotation(s.to.name, of) then
      return self:replace(s, of)
    end
  end
  local new, key, resumed
  if #pending > 0 then
    local rerr
    new, rerr = self:resume_create(s, pending)
    if new == false then return nil, rerr end
    if new then key, resumed = rerr, true end
  end
  if not new then
    local err, state
    new, err, state = made.create(t, t:body(temp, privileges.plain_all(s.to.privileges), s.to.src_ips),
      made.ids(list))
    if not new then return self:fail(s, "create", err, state) end
    key = new.key
    local function undo(stored) return (made.undo(t, new, stored, opts.discard, s.name)) end
    local ok, serr = failure.call(opts.store, key, new, s.name)
    if not ok then return self:fail(s, "store", serr, undo(false), { key }) end
    new.src_ips = new.src_ips or s.to.src_ips
    local step, verr = verify.new_token(t, new, key, s.to.privileges, opts)
    if not step then
      return self:fail(s, opts.verify == false and "check" or "verify", verr, undo(true), { key })
    end
  end
  local _, uerr = t:update(new.id, t:body(s.to.name, privileges.plain_all(s.to.privileges)))
  if uerr and not made.renamed(t, new.id, s.to.name, uerr) then
    return self:fail(s, "rename", uerr, ("token %s is made and its key stored, under the name %q; a re-run"
      .. " finishes it"):format(new.id, temp), { key })
  end
  new.name, new.key = s.to.name, key
  self:did(s, { id = new.id, new = new, recovered = new.recovered, resumed = resumed })
  return true
end

function Run:update(s)
  local t = self.t
  local _, err = t:update(s.id, t:body(s.to.name, privileges.plain_all(s.to.privileges)))
  if err then return self:fail(s, "update", err, "the token is as it was") end
  self:did(s)
  return true
end

function Run:replace(s, old_id)
  local opts = self.opts
  local report, err = rotate.run(self.t, old_id or s.id, {
    store = opts.store, load = opts.load, commit = opts.commit, discard = opts.discard, retired = opts.retired,
    restart = opts.restart,
    allow_self = opts.allow_self, verify = opts.verify,
    verify_attempts = opts.verify_attempts, verify_wait = opts.verify_wait,
    name = s.to.name, privileges = privileges.plain_all(s.to.privileges), src_ips = s.to.src_ips,
  })
  if not report then
    err.message = ("apply: replace %s: %s%s"):format(s.name, err.message, self:so_far())
    err.done, err.failed = self.done, s
    return nil, err
  end
  if old_id then
    self:did(s, { id = report.new_id, new = report.new, resumed = true })
  else
    self:did(s, { new_id = report.new_id, new = report.new, resumed = report.resumed })
  end
  return true
end

function Run:delete(s)
  local _, err = self.t:delete(s.id)
  if err and not err:is_not_found() then return self:fail(s, "delete", err, "the token is kept") end
  self:did(s)
  return true
end

--- Applies a plan, or a desired state (planned first with `opts`).
-- @param t a mistapi.lifecycle.target
-- @param plan_or_desired a plan (mistapi.lifecycle.plan), or a desired state
-- @param opts { store = function(key, token, name) (needed when tokens are
--   made), load, discard, restart, allow_self, prune, prefix, managed,
--   verify = true, verify_attempts, verify_wait }
-- @return { done = { { action, name, id, new_id, new } }, plan = the plan },
--   or nil and an error with `done` (what was done) and `failed` (the step)
function apply.run(t, plan_or_desired, opts)
  local p = plan_or_desired
  if not plan.is_plan(p) then
    if type(opts) ~= "table" and opts ~= nil then error("apply: opts must be a table", 3) end
    local err
    p, err = plan.make(t, p, opts and { prune = opts.prune, prefix = opts.prefix, managed = opts.managed })
    if not p then return nil, err end
  end
  opts = check_opts(opts, p)
  local run = setmetatable({ t = t, opts = opts, done = {} }, Run)
  -- replacing or deleting the client's own token would cut it off: refuse before anything is done
  -- (asked of this client, whichever client made the plan)
  for _, s in ipairs(p.steps) do
    if s.action == "replace" or s.action == "delete" then
      local refusal = failure.own(t, { id = s.id, key = s.shown, own = s.own }, opts.allow_self, "apply",
        s.action .. " " .. s.name, s.action, { done = {}, failed = s })
      if refusal then return nil, refusal end
    end
  end
  for _, s in ipairs(p.steps) do
    local ok, err = run[s.action](run, s)
    if not ok then return nil, err end
  end
  return { done = run.done, plan = p }
end

return apply
