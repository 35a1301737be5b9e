--- Rotating a token: a new one with the same privileges and src_ips, its key
-- stored before anything else, proved to work, then the old one deleted.
--
-- How a re-run recognises an unfinished rotation: the new token is created
-- under a temporary name, `<name> [rotation of <old id>]`, and takes its
-- final name only once the old token is gone (or marked kept). A rotation
-- interrupted in between leaves that name in the org, so the next call for
-- the same old id finds it: with `opts.load` (which gives back the key that
-- `opts.store` kept) it checks the key and finishes; without, it stops and
-- says so (`opts.restart` deletes the unfinished one and rotates afresh).
-- With `opts.keep_old` the old token is renamed `<name> [replaced by <new
-- id>]`; `finish` deletes a token so marked once its replacement exists.
-- @module mistapi.lifecycle.rotate

local display = require "mistapi.display"
local errors = require "mistapi.errors"
local failure = require "mistapi.lifecycle.failure"
local made = require "mistapi.lifecycle.made"
local markers = require "mistapi.lifecycle.markers"
local privileges = require "mistapi.lifecycle.privileges"
local verify = require "mistapi.lifecycle.verify"

local rotate = {}

--- The tokens of `list` that are unfinished rotations of `old_id`.
function rotate.pending_of(list, old_id)
  local out = {}
  for _, t in ipairs(list) do
    local kind, _, of = markers.parse(t.name)
    if kind == "rotation" and of == old_id then out[#out + 1] = t end
  end
  return out
end

--- Whether a create that failed with `err` may still have made the token
-- (mistapi.lifecycle.made's rule, which every create follows).
rotate.may_have_made = made.may_have_made

local function check_opts(opts, level)
  if type(opts) ~= "table" then error("rotate: opts must be a table with a store function", level) end
  if type(opts.store) ~= "function" then
    error("rotate: opts.store must be a function(key, token): the new key is handed to it first", level)
  end
  for _, k in ipairs { "load", "commit", "discard", "retired" } do
    if opts[k] ~= nil and type(opts[k]) ~= "function" then
      error("rotate: opts." .. k .. " must be a function", level)
    end
  end
  for _, k in ipairs { "privileges", "src_ips" } do
    if opts[k] ~= nil and type(opts[k]) ~= "table" then error("rotate: opts." .. k .. " must be a table", level) end
  end
  if opts.name ~= nil and type(opts.name) ~= "string" then error("rotate: opts.name must be a string", level) end
end

local Rotation = {}
Rotation.__index = Rotation

function Rotation:fail(step, cause, state)
  self.report.state = state
  return nil, failure.new("rotate", step, cause, state,
    { old_id = self.old_id, new_id = self.report.new_id, done = self.report.done }, { self.key })
end

function Rotation:did(step)
  local done = self.report.done
  done[#done + 1] = step
end

-- Deletes the new token after a failed step; -> the words for what exists now.
function Rotation:undo(new, stored)
  local state, gone = made.undo(self.t, new, stored, self.opts.discard, self.final)
  if gone then return state .. "; the old one is untouched" end
  return "the old token is untouched; " .. state
end

-- A rotation interrupted before: finish it with the stored key, or clear it.
function Rotation:resume(pending)
  local opts = self.opts
  local why = "give load (the CLI: the same --key-file) the key stored for it to finish the rotation"
  local keyless = true
  for _, p in ipairs(pending) do
    local key, not_its = made.held(opts.load, p, self.final, self.old)
    if key ~= false then keyless = false end
    if not_its then why = not_its end
    if key then
      local ok, verr = verify.new_token(self.t, p, key, self:expected(p), opts)
      why = ("the key load gave fails its check (%s)"):format(errors.tidy(tostring(verr)))
      if ok then
        self.key, self.new = key, p
        p.key = key
        self.report.resumed = true
        self:did("resume")
        return true
      end
    end
  end
  -- A token under this rotation's own temporary name whose key the store does
  -- not hold (a run stopped between the create's answer and the store): nobody
  -- can hold its key, so it is deleted as restart would, without being asked.
  if not opts.restart and not keyless then
    local p = pending[1]
    return self:fail("resume", ("an unfinished rotation of %s exists: token %s, created %s"):format(
      self.old_id, p.id, display.time(p.created_time)),
      "nothing was changed; " .. why .. ", or restart to delete it and rotate again")
  end
  for _, p in ipairs(pending) do
    local refusal = failure.own(self.t, p, opts.allow_self, "rotate", "resume", "delete", { old_id = self.old_id })
    if refusal then return nil, refusal end
  end
  for _, p in ipairs(pending) do
    local _, derr = self.t:delete(p.id)
    if made.deleted(self.t, p.id, derr) ~= true then
      return self:fail("resume", derr, ("the unfinished rotation %s could not be deleted; nothing else was changed")
        :format(p.id))
    end
  end
  self:did(opts.restart and "restart" or "clear")
  return true
end

-- The privileges the new key must show: those asked for (org tokens), or the
-- caller's own (a user's tokens act as the user).
function Rotation:expected(pending)
  if self.self_privileges then return self.self_privileges end
  if self.privileges then return self.privileges end
  return privileges.plain_all(pending and pending.privileges)
end

function Rotation:create()
  local t = self.t
  local body = t:body(markers.rotation(self.final, self.old_id), self.privileges, self.src_ips)
  -- the pending name is this rotation's own: a token of that name made despite a lost answer is ours
  local new, err, state = made.create(t, body, made.ids(self.list))
  if not new then return self:fail("create", err, "the old token is untouched; " .. state) end
  self.new, self.key = new, new.key
  self.report.new_id = new.id
  self.report.recovered = new.recovered == true
  self:did("create")
  local ok, serr = failure.call(self.opts.store, self.key, new, self.final, self.old)
  if not ok then return self:fail("store", serr, self:undo(new, false)) end
  self:did("store")
  new.src_ips = new.src_ips or self.src_ips
  local step, verr = verify.new_token(t, new, self.key, self:expected(), self.opts)
  if not step then return self:fail(self.opts.verify == false and "check" or "verify", verr, self:undo(new, true)) end
  self:did(step)
  return self:commit()
end

-- The new key is proved: the store may now make it the live one (a key file
-- replaced in place), before the old token goes.
function Rotation:commit()
  if not self.opts.commit then return true end
  local ok, cerr = failure.call(self.opts.commit, self.new, self.final)
  if not ok then return self:fail("commit", cerr, self:undo(self.new, true)) end
  return true
end

function Rotation:retire()
  local t, new, old = self.t, self.new, self.old
  if not old then return true end
  if self.opts.keep_old then
    if self.marked_by ~= new.id then
      local retired = markers.replaced(old.name, new.id)
      local _, err = t:update(old.id, t:body(retired, privileges.plain_all(old.privileges)))
      if err and not made.renamed(t, old.id, retired, err) then
        return self:fail("keep", err, ("both tokens work: the new one %s (its key stored) and the old one;" ..
          " a re-run with load finishes the rotation"):format(new.id))
      end
    end
    self.report.kept_old = true
    self:did("keep")
    return true
  end
  local own = t:is_own(old)
  local _, err = t:delete(old.id)
  local gone = made.deleted(t, old.id, err)
  if gone ~= true then
    if gone == nil then
      return self:fail("delete", err, ("the new token %s works (its key stored); the old one may be deleted or"
        .. " not (the answer to its DELETE was lost); a re-run with load finishes the rotation"):format(new.id))
    end
    return self:fail("delete", err, ("both tokens work: the new one %s (its key stored) and the old one;" ..
      " a re-run with load finishes the rotation"):format(new.id))
  end
  if own then t:adopt(old, self.key) end
  -- gone: a store that kept the old key aside (a key file replaced in place) may drop it
  if self.opts.retired then pcall(self.opts.retired, old, self.final) end
  self:did("delete")
  return true
end

function Rotation:rename()
  local t, new = self.t, self.new
  local _, err = t:update(new.id, t:body(self.final, self:expected(new)))
  if err and not made.renamed(t, new.id, self.final, err) then
    return self:fail("rename", err, ("the rotation is done but the new token %s keeps the name %q;" ..
      " rename it, or re-run with load"):format(new.id, new.name))
  end
  new.name = self.final
  self:did("rename")
  return true
end

-- The replacement `by` named on a kept old token exists under its final name:
-- the rotation was done (the answer of its last step lost). -> the report, or nil
function Rotation:already_done(by, final)
  for _, p in ipairs(self.list) do
    if p.id == by and p.name == final then
      local key = self.opts.load and failure.call(self.opts.load, p, final)
      if type(key) == "string" and display.mask(key) == p.key then p.key = key end
      self.new = p
      self:did("resume")
      local report = self.report
      report.new, report.new_id, report.resumed, report.kept_old = p, p.id, true, true
      report.state = "both tokens work; finish deletes the old one"
      return report
    end
  end
end

--- Rotates token `id` of target `t`; see the module's comment and docs/lifecycle.md.
-- @param t a mistapi.lifecycle.target
-- @param id the old token's id
-- @param opts { store = function(key, token, name, old) -> true | nil, msg (required;
--   `old` is the token being replaced), load = function(token, name) -> key,
--   commit = function(token, name) -> true | nil, msg (the new key is proved: make it
--   the live one, before the old token goes), discard = function(token, name), retired =
--   function(old, name) (the old token is deleted), name, privileges,
--   src_ips, keep_old, allow_self, restart, verify (false: read the token back
--   instead of using its key), verify_attempts, verify_wait }
-- @return a report { new = token (whole key), new_id, old_id, done = {steps},
--   resumed, kept_old }, or nil and an error with `step` and `state`
function rotate.run(t, id, opts)
  check_opts(opts, 4)
  local r = setmetatable({ t = t, opts = opts, old_id = id,
    report = { old_id = id, done = {}, resumed = false, kept_old = false } }, Rotation)
  local old, err = t:get(id)
  if not old and not (errors.is_error(err) and err:is_not_found()) then
    return r:fail("read", err, "nothing was changed")
  end
  r.old = old or nil
  local list, lerr = t:list()
  if not list then return r:fail("read", lerr, "nothing was changed") end
  local pending = rotate.pending_of(list, id)
  if not old and #pending == 0 then return r:fail("read", err, "nothing was changed") end
  if old and not opts.keep_old then
    local refusal = failure.own(t, old, opts.allow_self, "rotate", "read", "delete", { old_id = id })
    if refusal then return nil, refusal end
  end
  r.list = list
  local base = old or pending[1]
  -- an old token a keep_old rotation already marked "<name> [replaced by NEW]" (a run
  -- stopped after that step): its name is not the final one, and it is not marked twice
  local kind, unmarked, by = markers.parse(old and old.name)
  if kind == "replaced" and opts.keep_old then
    r.marked_by = by
    local done = #pending == 0 and r:already_done(by, opts.name or unmarked)
    if done then return done end
  end
  r.final = opts.name or (r.marked_by and unmarked) or (old and old.name) or select(2, markers.parse(pending[1].name))
  if t.has_privileges then
    r.privileges = opts.privileges or privileges.plain_all(base.privileges)
    r.src_ips = opts.src_ips or base.src_ips
  else
    local sp, serr = verify.self_privileges(t.client)
    if not sp then return r:fail("read", serr, "nothing was changed") end
    r.self_privileges = sp
  end
  if #pending > 0 then
    local ok, rerr = r:resume(pending)
    if not ok then return nil, rerr end
    if r.new then
      ok, rerr = r:commit()
      if not ok then return nil, rerr end
    end
  end
  if not r.new then
    if not old then return r:fail("read", err, "nothing was changed") end
    local ok, cerr = r:create()
    if not ok then return nil, cerr end
  end
  local ok, rerr = r:retire()
  if not ok then return nil, rerr end
  ok, rerr = r:rename()
  if not ok then return nil, rerr end
  r.report.new = r.new
  r.report.new_id = r.new.id
  r.report.state = opts.keep_old and "both tokens work; finish deletes the old one" or "the old token is deleted"
  return r.report
end

--- Deletes a token that a rotation with keep_old renamed, once its
-- replacement exists. -> report { old_id, new_id, done } | nil, err
function rotate.finish(t, old_id, opts)
  opts = opts or {}
  local old, err = t:get(old_id)
  if not old then return nil, failure.new("finish", "read", err, "nothing was changed", { old_id = old_id }) end
  local kind, _, new_id = markers.parse(old.name)
  if kind ~= "replaced" then
    return nil, failure.refuse("finish", "read", ("token %s is not one a rotation kept (its name says no"
      .. " \"[replaced by ...]\")"):format(old_id), { old_id = old_id })
  end
  local refusal = failure.own(t, old, opts.allow_self, "finish", "read", "delete", { old_id = old_id })
  if refusal then return nil, refusal end
  local _, nerr = t:get(new_id)
  if nerr then
    return nil, failure.new("finish", "read", nerr, ("the replacement %s can't be read: the old token is kept")
      :format(new_id), { old_id = old_id, new_id = new_id })
  end
  local _, derr = t:delete(old_id)
  if made.deleted(t, old_id, derr) ~= true then
    return nil, failure.new("finish", "delete", derr, "both tokens still work", { old_id = old_id, new_id = new_id })
  end
  return { old_id = old_id, new_id = new_id, shown = old.key, done = { "delete" }, state = "the old token is deleted" }
end

return rotate
