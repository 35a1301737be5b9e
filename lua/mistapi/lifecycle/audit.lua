--- The audit of an org's API tokens: findings `{ token_id, name, rule,
-- severity, detail, advice }` for tokens never used, unused for long, overdue
-- for rotation, with broad privileges, usable from anywhere, sharing a name,
-- granting sites or site groups that are gone, or left half-way by a rotation.
-- Rules can be turned off and their severities and thresholds changed.
-- @module mistapi.lifecycle.audit

local display = require "mistapi.display"
local errors = require "mistapi.errors"
local markers = require "mistapi.lifecycle.markers"
local scopes = require "mistapi.lifecycle.scopes"

local audit = {}

local DAY = 86400

--- Severities, lowest first; `--fail-on` and `min_severity` take these names.
audit.SEVERITIES = { "low", "medium", "high" }
audit.RANK = { low = 1, medium = 2, high = 3 }

--- The rules, in the order findings are listed for a token, with their
-- default severity and what to do about a finding.
audit.RULES = {
  { name = "never_used", severity = "medium",
    advice = "delete it if nothing needs it; otherwise find out who was meant to use it" },
  { name = "stale", severity = "medium",
    advice = "delete it if nothing uses it any more (its key may sit in an old script or backup)" },
  { name = "rotation_overdue", severity = "medium",
    advice = "rotate it: mistapi-tokens rotate ID --key-file FILE" },
  { name = "broad_privileges", severity = "high",
    advice = "grant only what its job needs: read, or a site or site group scope" },
  { name = "no_src_ips", severity = "low",
    advice = "rotate it with src_ips set to where it is used from (src_ips can't be added to a token)" },
  { name = "duplicate_name", severity = "low",
    advice = "give each token a name that says who uses it, so a clean-up can't pick the wrong one" },
  { name = "missing_site", severity = "medium",
    advice = "update its privileges to drop the site that no longer exists" },
  { name = "missing_sitegroup", severity = "medium",
    advice = "update its privileges to drop the site group that no longer exists" },
  { name = "unfinished_rotation", severity = "medium",
    advice = "re-run the rotation of the old token (with its key file to finish it, or restart)" },
  { name = "replaced", severity = "low",
    advice = "once its users have switched to the new key, delete it: mistapi-tokens rotate OLD_ID --finish" },
}
for _, r in ipairs(audit.RULES) do audit.RULES[r.name] = r end

audit.DEFAULTS = { stale_days = 90, max_age_days = 365, unused_grace_days = 7 }

local function check_opts(opts)
  if opts == nil then return {} end
  if type(opts) ~= "table" then error("audit: opts must be a table", 4) end
  for _, k in ipairs { "stale_days", "max_age_days", "unused_grace_days", "now" } do
    local v = opts[k]
    if v ~= nil and (type(v) ~= "number" or v ~= v or v < 0) then
      error(("audit: opts.%s must be a number from 0"):format(k), 4)
    end
  end
  for _, k in ipairs { "rules", "severity" } do
    if opts[k] ~= nil and type(opts[k]) ~= "table" then error("audit: opts." .. k .. " must be a table", 4) end
    for name, v in pairs(opts[k] or {}) do
      if not audit.RULES[name] then error(("audit: opts.%s: no rule %q"):format(k, tostring(name)), 4) end
      if k == "severity" and not audit.RANK[v] then
        error(("audit: opts.severity.%s: %q is not low, medium or high"):format(name, tostring(v)), 4)
      end
    end
  end
  return opts
end

local clean = require("mistapi.text").clean

local function days(seconds) return math.floor(seconds / DAY) end

local Audit = {}
Audit.__index = Audit

function Audit:on(rule) return self.opts.rules == nil or self.opts.rules[rule] ~= false end

function Audit:add(token, rule, detail, severity)
  local r = audit.RULES[rule]
  local f = {
    token_id = token.id, name = token.name, rule = rule, detail = detail, advice = r.advice,
    severity = (self.opts.severity and self.opts.severity[rule]) or severity or r.severity,
  }
  self.findings[#self.findings + 1] = f
end

function Audit:usage(token)
  local now, o = self.now, self.limits
  local age = token.created_time and now - token.created_time
  if token.last_used == nil then
    if self:on("never_used") and (not age or age >= o.unused_grace_days * DAY) then
      self:add(token, "never_used", age and ("never used since it was created %d days ago (%s)"):format(
        days(age), display.time(token.created_time)) or "never used")
    end
  elseif self:on("stale") and now - token.last_used > o.stale_days * DAY then
    self:add(token, "stale", ("last used %d days ago (%s), more than %d"):format(
      days(now - token.last_used), display.time(token.last_used), o.stale_days))
  end
  if self:on("rotation_overdue") and age and age > o.max_age_days * DAY then
    self:add(token, "rotation_overdue", ("created %d days ago (%s), more than %d"):format(
      days(age), display.time(token.created_time), o.max_age_days))
  end
end

function Audit:reach(token)
  if self:on("broad_privileges") then
    local broad, worst = {}, nil
    for _, p in ipairs(token.privileges or {}) do
      if p.scope == "org" and (p.role == "admin" or p.role == "write") then
        broad[#broad + 1] = display.privilege(p)
        if p.role == "admin" then worst = "high" elseif worst ~= "high" then worst = "medium" end
      end
    end
    if #broad > 0 then
      self:add(token, "broad_privileges", ("%s on the whole org"):format(table.concat(broad, ", ")), worst)
    end
  end
  if self:on("no_src_ips") and (type(token.src_ips) ~= "table" or #token.src_ips == 0) then
    self:add(token, "no_src_ips", "no src_ips: its key works from any address")
  end
end

-- The ids of the org's sites or site groups, listed once, when a token needs them.
function Audit:known(what)
  local cache = self.scope_ids
  if cache[what] == nil then
    local ids, err = scopes.ids(self.t.client, self.t.org_id, what)
    if ids then
      cache[what] = ids
    else
      cache[what] = false
      self.notes[#self.notes + 1] = ("%s not checked: this client can't list them (%s)"):format(
        what == "sites" and "sites" or "site groups", errors.tidy(tostring(err)))
    end
  end
  return cache[what] or nil
end

function Audit:scopes(token)
  for _, p in ipairs(token.privileges or {}) do
    local rule, what, id
    if p.scope == "site" then
      rule, what, id = "missing_site", "sites", p.site_id
    elseif p.scope == "sitegroup" then
      rule, what, id = "missing_sitegroup", "sitegroups", p.sitegroup_id
    end
    if rule and type(id) == "string" and self:on(rule) and self.t.org_id then
      local ids = self:known(what)
      if ids and not ids[id:lower()] then
        self:add(token, rule, ("%s is granted on %s %s, which no longer exists"):format(
          clean(p.role), what == "sites" and "site" or "site group", clean(id)))
      end
    end
  end
end

local function name_counts(list)
  local count = {}
  for _, token in ipairs(list) do
    if type(token.name) == "string" then count[token.name] = (count[token.name] or 0) + 1 end
  end
  return count
end

function Audit:rotation(token)
  local kind, _, id = markers.parse(token.name)
  if kind == "rotation" and self:on("unfinished_rotation") then
    self:add(token, "unfinished_rotation", ("a rotation of %s stopped half-way: this is its new token"):format(id))
  elseif kind == "replaced" and self:on("replaced") then
    self:add(token, "replaced", ("kept after a rotation; %s replaces it"):format(id))
  end
end

--- Audits the tokens of target `t` (see mistapi.lifecycle.target).
-- @param t a mistapi.lifecycle.target
-- @param opts { stale_days = 90, max_age_days = 365, unused_grace_days = 7,
--   rules = { rule = false, ... }, severity = { rule = "high", ... },
--   min_severity = "low", now = os.time() }
-- @return { findings = {...}, notes = {...}, tokens = n }, or nil and an error
function audit.run(t, opts)
  opts = check_opts(opts)
  if opts.min_severity ~= nil and not audit.RANK[opts.min_severity] then
    error(("audit: opts.min_severity: %q is not low, medium or high"):format(tostring(opts.min_severity)), 3)
  end
  local list, err = t:list()
  if not list then return nil, err end
  local limits = {}
  for k, v in pairs(audit.DEFAULTS) do limits[k] = opts[k] or v end
  local a = setmetatable({ t = t, opts = opts, limits = limits, now = opts.now or os.time(),
    findings = {}, notes = {}, scope_ids = {} }, Audit)
  local count = name_counts(list)
  for _, token in ipairs(list) do
    a:usage(token)
    a:reach(token)
    if a:on("duplicate_name") and count[token.name] and count[token.name] > 1 then
      a:add(token, "duplicate_name", ("%d tokens are named %q"):format(count[token.name], clean(token.name)))
    end
    a:scopes(token)
    a:rotation(token)
  end
  local findings = a.findings
  if opts.min_severity then
    local kept, floor = {}, audit.RANK[opts.min_severity]
    for _, f in ipairs(findings) do
      if audit.RANK[f.severity] >= floor then kept[#kept + 1] = f end
    end
    findings = kept
  end
  return { findings = findings, notes = a.notes, tokens = #list, limits = limits }
end

--- The findings at or above `severity`.
function audit.at_least(findings, severity)
  local floor, n = audit.RANK[severity] or 1, 0
  for _, f in ipairs(findings) do
    if audit.RANK[f.severity] >= floor then n = n + 1 end
  end
  return n
end

return audit
